//! Disjoint sets (union–find) over `0..n`: which items one pass of joins has grouped.
//! A group's root is its smallest member, so the grouping and the order of groups by
//! root do not depend on the order of the joins.
//!
//! ```
//! use gridmap_core::disjoint::DisjointSets;
//! let mut sets = DisjointSets::new(5);
//! sets.join(3, 1);
//! sets.join(4, 3);
//! assert_eq!(sets.root(4), 1);
//! assert_eq!(sets.root(2), 2);
//! assert_eq!(sets.count(), 3);
//! ```

/// Disjoint sets over `0..n`, see the module docs.
#[derive(Debug, Clone)]
pub struct DisjointSets {
    parent: Vec<usize>,
}

impl DisjointSets {
    /// `n` items, each in a group of its own.
    pub fn new(n: usize) -> DisjointSets {
        DisjointSets {
            parent: (0..n).collect(),
        }
    }

    /// The smallest member of `i`'s group.
    pub fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Puts `a` and `b` in one group.
    pub fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.root(a), self.root(b));
        self.parent[a.max(b)] = a.min(b);
    }

    /// How many groups there are.
    pub fn count(&mut self) -> usize {
        (0..self.parent.len())
            .filter(|&i| self.root(i) == i)
            .count()
    }
}
