//! The card index: card key → profile number, in one open-addressing table whose slots hold the
//! key and the number side by side (one cache line per look-up, where a general hash map reads a
//! control byte and a bucket in two places). With millions of cards every look-up misses the cache,
//! so the number of lines touched is what a decision's speed depends on.

use std::hash::BuildHasher;

use foldhash::fast::FixedState;

use crate::types::CardKey;

/// No card in this slot.
const EMPTY: u32 = u32::MAX;

/// One slot: half a cache line.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
struct Slot {
    key: CardKey,
    index: u32,
}

const FREE: Slot = Slot {
    key: CardKey::from_u128(0),
    index: EMPTY,
};

/// Card key → profile number (0 .. len). Linear probing, at most 3/4 full, never shrinks.
#[derive(Debug, Clone)]
pub(crate) struct CardIndex {
    slots: Vec<Slot>,
    len: usize,
    hasher: FixedState,
}

impl CardIndex {
    /// Room for `cards` cards without growing.
    pub(crate) fn with_capacity(cards: usize) -> Self {
        let slots = (cards.max(8) * 4 / 3 + 1).next_power_of_two();
        Self {
            slots: vec![FREE; slots],
            len: 0,
            hasher: FixedState::default(),
        }
    }

    /// Bytes allocated for the slots.
    pub(crate) fn bytes(&self) -> usize {
        self.slots.len() * size_of::<Slot>()
    }

    fn home(&self, key: CardKey) -> usize {
        (self.hasher.hash_one(key) as usize) & (self.slots.len() - 1)
    }

    pub(crate) fn get(&self, key: CardKey) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let slot = self.slots[i];
            if slot.index == EMPTY {
                return None;
            }
            if slot.key == key {
                return Some(slot.index);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds a key that is not in the index yet.
    pub(crate) fn insert_new(&mut self, key: CardKey, index: u32) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        self.place(key, index);
        self.len += 1;
    }

    fn place(&mut self, key: CardKey, index: u32) {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        while self.slots[i].index != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = Slot { key, index };
    }

    fn grow(&mut self) {
        let doubled = vec![FREE; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        for slot in old.into_iter().filter(|s| s.index != EMPTY) {
            self.place(slot.key, slot.index);
        }
    }

    /// Every (key, profile number), in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (CardKey, u32)> + '_ {
        self.slots
            .iter()
            .filter(|s| s.index != EMPTY)
            .map(|s| (s.key, s.index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_key_across_growth() {
        let mut index = CardIndex::with_capacity(0);
        for i in 0..10_000u32 {
            let key = CardKey::from_u128(u128::from(i) * 0x9E37_79B9 + 1);
            assert_eq!(index.get(key), None);
            index.insert_new(key, i);
        }
        assert_eq!(index.len, 10_000);
        for i in 0..10_000u32 {
            let key = CardKey::from_u128(u128::from(i) * 0x9E37_79B9 + 1);
            assert_eq!(index.get(key), Some(i));
        }
        assert_eq!(index.get(CardKey::from_u128(0)), None);
        assert_eq!(index.iter().count(), 10_000);
        assert!(index.len * 4 <= index.slots.len() * 3);
    }

    #[test]
    fn a_slot_is_half_a_cache_line() {
        assert_eq!(size_of::<Slot>(), 32);
    }
}
