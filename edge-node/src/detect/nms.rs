//! Greedy per-class non-maximum suppression. Pure.

use super::decode::BoxPx;

/// Anything NMS can sort and compare.
pub trait Suppressible {
    /// Box used for overlap.
    fn nms_box(&self) -> BoxPx;
    /// Score used for ordering.
    fn nms_score(&self) -> f32;
    /// Only items with equal keys suppress each other.
    fn nms_key(&self) -> u32;
}

/// Keeps the highest-scored item of every cluster whose IoU exceeds `iou_threshold` (same key).
/// Output is sorted by descending score; ties keep input order (deterministic).
pub fn nms<T: Suppressible>(mut items: Vec<T>, iou_threshold: f32) -> Vec<T> {
    items.sort_by(|a, b| b.nms_score().total_cmp(&a.nms_score()));
    let mut kept: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        let b = item.nms_box();
        let key = item.nms_key();
        if kept
            .iter()
            .all(|k| k.nms_key() != key || k.nms_box().iou(&b) <= iou_threshold)
        {
            kept.push(item);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Item(BoxPx, f32, u32);
    impl Suppressible for Item {
        fn nms_box(&self) -> BoxPx {
            self.0
        }
        fn nms_score(&self) -> f32 {
            self.1
        }
        fn nms_key(&self) -> u32 {
            self.2
        }
    }

    fn bx(x: f32) -> BoxPx {
        BoxPx {
            x1: x,
            y1: 0.0,
            x2: x + 10.0,
            y2: 10.0,
        }
    }

    #[test]
    fn suppresses_overlaps_within_a_class_only() {
        let items = vec![
            Item(bx(0.0), 0.5, 0),
            Item(bx(1.0), 0.9, 0),  // overlaps the first, higher score: wins
            Item(bx(1.0), 0.4, 1),  // other class: kept
            Item(bx(50.0), 0.3, 0), // far away: kept
        ];
        let kept = nms(items, 0.5);
        assert_eq!(
            kept,
            vec![
                Item(bx(1.0), 0.9, 0),
                Item(bx(1.0), 0.4, 1),
                Item(bx(50.0), 0.3, 0)
            ]
        );
    }
}
