//! Stratified k-fold splits: every fold gets each intent in the same proportion.

use crate::rng::SplitMix64;

/// The held-out indices of each of `k` folds, each sorted. Examples of each class are shuffled
/// with the seed and dealt round-robin, continuing where the previous class stopped so that
/// fold sizes differ by at most one.
pub fn stratified_folds(gold: &[usize], k: usize, seed: u64) -> Vec<Vec<usize>> {
    let k = k.max(1);
    let classes = gold.iter().copied().max().map_or(0, |m| m + 1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &g) in gold.iter().enumerate() {
        by_class[g].push(i);
    }
    let mut folds = vec![Vec::new(); k];
    let mut next = 0;
    for (class, members) in by_class.iter_mut().enumerate() {
        SplitMix64::derive(seed, class as u64).shuffle(members);
        for &i in members.iter() {
            folds[next].push(i);
            next = (next + 1) % k;
        }
    }
    for fold in &mut folds {
        fold.sort_unstable();
    }
    folds
}

/// The indices not in `held_out` (sorted), out of `0..n`.
pub(crate) fn complement(held_out: &[usize], n: usize) -> Vec<usize> {
    let mut keep = vec![true; n];
    for &i in held_out {
        keep[i] = false;
    }
    (0..n).filter(|i| keep[*i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn folds_partition_and_stratify(gold in proptest::collection::vec(0usize..5, 1..200), k in 2usize..7, seed: u64) {
            let folds = stratified_folds(&gold, k, seed);
            let mut all: Vec<usize> = folds.iter().flatten().copied().collect();
            all.sort_unstable();
            prop_assert_eq!(all, (0..gold.len()).collect::<Vec<_>>());
            let sizes: Vec<usize> = folds.iter().map(Vec::len).collect();
            prop_assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
            for class in 0..5 {
                let counts: Vec<usize> = folds.iter().map(|f| f.iter().filter(|i| gold[**i] == class).count()).collect();
                prop_assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1);
            }
            prop_assert_eq!(complement(&folds[0], gold.len()).len(), gold.len() - folds[0].len());
        }
    }
}
