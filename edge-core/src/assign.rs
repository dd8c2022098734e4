//! Maximum-weight bipartite assignment (Hungarian / Kuhn–Munkres from the `pathfinding` crate).

use pathfinding::prelude::{kuhn_munkres, Matrix};

/// Fixed-point scale for weights: the solver needs an integer (`Ord`) weight type.
const SCALE: f64 = 1_000_000.0;
/// Largest accepted weight (1e15 after scaling), so that sums over a few thousand rows stay far
/// from `i64::MAX` (9.2e18).
const MAX_WEIGHT: f64 = 1.0e9;

/// Pairs `(row, col)` maximising the total weight over pairs with positive weight.
///
/// `weights` is row-major `n_rows × n_cols`. Non-positive or non-finite weights mean "cannot
/// pair"; they are never returned. Weights are clamped to `MAX_WEIGHT` and quantised to 1e-6.
/// Pairs come back sorted by row.
pub(crate) fn max_weight_pairs(
    n_rows: usize,
    n_cols: usize,
    weights: &[f64],
) -> Vec<(usize, usize)> {
    if n_rows == 0 || n_cols == 0 || weights.len() != n_rows * n_cols {
        return Vec::new();
    }
    let quant = |w: f64| -> i64 {
        if w.is_finite() && w > 0.0 {
            // In range by the clamp: at most 1e15.
            (w.min(MAX_WEIGHT) * SCALE).round() as i64
        } else {
            0
        }
    };
    // The solver needs rows ≤ columns: transpose tall problems.
    let transpose = n_rows > n_cols;
    let (r, c) = if transpose {
        (n_cols, n_rows)
    } else {
        (n_rows, n_cols)
    };
    let mut data = Vec::with_capacity(r * c);
    for i in 0..r {
        for j in 0..c {
            let w = if transpose {
                weights[j * n_cols + i]
            } else {
                weights[i * n_cols + j]
            };
            data.push(quant(w));
        }
    }
    let Ok(matrix) = Matrix::from_vec(r, c, data) else {
        return Vec::new();
    };
    let (_, cols) = kuhn_munkres(&matrix);
    let mut pairs: Vec<(usize, usize)> = cols
        .iter()
        .enumerate()
        .filter(|&(i, &j)| matrix.get((i, j)).is_some_and(|&w| w > 0))
        .map(|(i, &j)| if transpose { (j, i) } else { (i, j) })
        .collect();
    pairs.sort_unstable();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_global_optimum_not_greedy() {
        // Greedy would take (0,0)=0.9 then (1,1)=0.1; optimum is (0,1)+(1,0) = 0.8+0.8.
        let w = [0.9, 0.8, 0.8, 0.1];
        assert_eq!(max_weight_pairs(2, 2, &w), vec![(0, 1), (1, 0)]);
    }

    #[test]
    fn skips_non_positive_and_nan_and_handles_tall_matrices() {
        // 3 rows × 2 cols; row 1 can pair with nothing.
        let w = [0.5, 0.0, f64::NAN, -1.0, 0.0, 0.7];
        assert_eq!(max_weight_pairs(3, 2, &w), vec![(0, 0), (2, 1)]);
        assert!(max_weight_pairs(0, 3, &[]).is_empty());
        assert!(max_weight_pairs(2, 2, &[1.0]).is_empty());
    }
}
