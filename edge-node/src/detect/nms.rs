//! Greedy per-class non-maximum suppression, and removal of boxes that are a part of another
//! box of the same class (a second heatmap peak on one person's legs or upper body). Pure.

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

/// A box this much inside another (intersection over its own area) may be a part of it.
const PART_INSIDE: f32 = 0.85;
/// … if it is at most this fraction of the other's height …
const PART_HEIGHT: f32 = 0.8;
/// … and shares its bottom or its top edge within this fraction of the other's height.
const PART_EDGE: f32 = 0.1;

/// Whether `part` looks like a piece of `whole`: inside it, clearly shorter, and sharing its
/// bottom edge (legs) or its top edge (upper body). A person partly hidden behind another is
/// not a part: being further away, their feet are higher in the picture than the front person's
/// and their head lower than the front person's head.
pub fn is_part_of(part: &BoxPx, whole: &BoxPx) -> bool {
    let area = part.area();
    let h = whole.height();
    area > 0.0
        && part.intersection_area(whole) >= PART_INSIDE * area
        && part.height() <= PART_HEIGHT * h
        && ((part.y2 - whole.y2).abs() <= PART_EDGE * h
            || (part.y1 - whole.y1).abs() <= PART_EDGE * h)
}

/// Drops every item that [`is_part_of`] another item with the same key, whatever the scores
/// (the part's peak is often the stronger one). Order is kept.
pub fn drop_parts<T: Suppressible>(items: Vec<T>) -> Vec<T> {
    let boxes: Vec<(BoxPx, u32)> = items.iter().map(|i| (i.nms_box(), i.nms_key())).collect();
    items
        .into_iter()
        .enumerate()
        .filter(|(i, item)| {
            let (b, key) = (item.nms_box(), item.nms_key());
            !boxes
                .iter()
                .enumerate()
                .any(|(j, (w, k))| j != *i && *k == key && is_part_of(&b, w))
        })
        .map(|(_, item)| item)
        .collect()
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

    #[test]
    fn legs_and_upper_body_boxes_are_parts_but_a_person_behind_is_not() {
        let whole = BoxPx {
            x1: 100.0,
            y1: 100.0,
            x2: 130.0,
            y2: 175.0,
        };
        // Measured on a generated broadcast frame: a legs box sharing the person's bottom edge.
        let legs = BoxPx {
            x1: 105.5,
            y1: 128.5,
            x2: 125.2,
            y2: 174.4,
        };
        let upper = BoxPx {
            x1: 102.0,
            y1: 101.0,
            x2: 128.0,
            y2: 140.0,
        };
        // Further away: smaller, feet higher, head lower, mostly behind the front person.
        let behind = BoxPx {
            x1: 108.0,
            y1: 110.0,
            x2: 124.0,
            y2: 155.0,
        };
        assert!(is_part_of(&legs, &whole));
        assert!(is_part_of(&upper, &whole));
        assert!(!is_part_of(&behind, &whole));
        assert!(!is_part_of(&whole, &legs));
        assert!(!is_part_of(&whole, &whole));
        let kept = drop_parts(vec![
            Item(legs, 0.7, 0),
            Item(whole, 0.6, 0),
            Item(behind, 0.5, 0),
            Item(upper, 0.4, 1), // another key: not compared with the whole person
        ]);
        assert_eq!(
            kept,
            vec![
                Item(whole, 0.6, 0),
                Item(behind, 0.5, 0),
                Item(upper, 0.4, 1)
            ]
        );
    }
}
