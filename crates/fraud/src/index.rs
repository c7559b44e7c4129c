//! The card index: card key → profile number. An open-addressing table of 8-byte slots (a 32-bit
//! tag of the key's hash and the profile number) beside the keys in profile order. The slots are
//! small enough to stay mostly in cache for a million cards, so a look-up usually misses the cache
//! only on the key and the profile, which the processor fetches side by side; with 32-byte
//! key-and-number slots the slot itself missed first, and the profile had to wait for it.

use std::hash::BuildHasher;

use foldhash::fast::FixedState;

use crate::types::CardKey;

/// No card in this slot.
const EMPTY: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Slot {
    /// High half of the key's hash: a mismatch rules the key out without reading it.
    tag: u32,
    index: u32,
}

const FREE: Slot = Slot {
    tag: 0,
    index: EMPTY,
};

/// Card key → profile number (0 .. len, in insertion order). Linear probing, at most 3/4 full,
/// never shrinks.
#[derive(Debug, Clone)]
pub(crate) struct CardIndex {
    slots: Vec<Slot>,
    /// Key of each profile number.
    keys: Vec<CardKey>,
    hasher: FixedState,
}

impl CardIndex {
    /// Room for `cards` cards without growing.
    pub(crate) fn with_capacity(cards: usize) -> Self {
        Self {
            slots: vec![FREE; Self::slots_for(cards)],
            keys: Vec::with_capacity(cards),
            hasher: FixedState::default(),
        }
    }

    fn slots_for(cards: usize) -> usize {
        (cards.max(8) * 4 / 3 + 1).next_power_of_two()
    }

    /// Bytes allocated for the slots and keys.
    pub(crate) fn bytes(&self) -> usize {
        self.slots.len() * size_of::<Slot>() + self.keys.capacity() * size_of::<CardKey>()
    }

    /// Home slot and tag of a key.
    fn hash(&self, key: CardKey) -> (usize, u32) {
        let hash = self.hasher.hash_one(key);
        (
            (hash as usize) & (self.slots.len() - 1),
            (hash >> 32) as u32,
        )
    }

    pub(crate) fn get(&self, key: CardKey) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let (mut i, tag) = self.hash(key);
        loop {
            let slot = self.slots[i];
            if slot.index == EMPTY {
                return None;
            }
            if slot.tag == tag && self.keys[slot.index as usize] == key {
                return Some(slot.index);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds a key that is not in the index yet; its profile number is the number of keys so far.
    pub(crate) fn insert_new(&mut self, key: CardKey) -> u32 {
        // The engine holds at most `MAX_CARDS` (< EMPTY) cards.
        let index = self.keys.len() as u32;
        if (self.keys.len() + 1) * 4 > self.slots.len() * 3 {
            self.slots = vec![FREE; self.slots.len() * 2];
            let keys = std::mem::take(&mut self.keys);
            for (i, &old) in keys.iter().enumerate() {
                self.place(old, i as u32);
            }
            self.keys = keys;
        }
        self.place(key, index);
        self.keys.push(key);
        index
    }

    fn place(&mut self, key: CardKey, index: u32) {
        let mask = self.slots.len() - 1;
        let (mut i, tag) = self.hash(key);
        while self.slots[i].index != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = Slot { tag, index };
    }

    /// Every (key, profile number), in profile order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (CardKey, u32)> + '_ {
        self.keys.iter().enumerate().map(|(i, &k)| (k, i as u32))
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
            assert_eq!(index.insert_new(key), i);
        }
        assert_eq!(index.keys.len(), 10_000);
        for i in 0..10_000u32 {
            let key = CardKey::from_u128(u128::from(i) * 0x9E37_79B9 + 1);
            assert_eq!(index.get(key), Some(i));
        }
        assert_eq!(index.get(CardKey::from_u128(0)), None);
        assert_eq!(index.iter().count(), 10_000);
        assert!(index.keys.len() * 4 <= index.slots.len() * 3);
    }

    #[test]
    fn a_matching_tag_is_checked_against_the_key() {
        let mut index = CardIndex::with_capacity(4);
        let (a, b) = (CardKey::from_u128(1), CardKey::from_u128(2));
        index.insert_new(a);
        // Move a's slot to b's home with b's tag: only the stored key tells them apart.
        let (home, tag) = index.hash(b);
        index.slots.fill(FREE);
        index.slots[home] = Slot { tag, index: 0 };
        assert_eq!(index.get(b), None);
        index.place(b, 1);
        index.keys.push(b);
        assert_eq!(index.get(b), Some(1));
    }

    #[test]
    fn a_slot_is_eight_bytes() {
        assert_eq!(size_of::<Slot>(), 8);
    }
}
