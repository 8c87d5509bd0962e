//! An incrementally updated Merkle-Patricia trie stored by node path.
//!
//! Every node lives under its nibble path (one byte per nibble) in a key-value table, encoded as
//! the standard trie-node RLP, so a parent refers to its children by hash exactly as in Ethereum.
//! An update loads only the nodes on the paths of the changed keys, rewrites them and rehashes
//! upwards; untouched subtrees stay as stored references. Block cost therefore grows with the
//! number of changed keys times the trie depth, not with the size of the state.
//!
//! alloy-trie provides the node types and their RLP, and the `HashBuilder` that the tests use as
//! the reference; it has no updatable trie (reth keeps that in unpublished crates), hence this one.

use alloy::primitives::{B256, keccak256};
use alloy_rlp::{Decodable, Encodable};
use alloy_trie::{
    EMPTY_ROOT_HASH, Nibbles, TrieMask,
    nodes::{BranchNode, ExtensionNode, LeafNode, RlpNode, TrieNode},
};
use std::collections::HashMap;

use crate::StorageError;

/// Read access to stored trie nodes by path.
pub trait NodeReader {
    /// The stored node at nibble path `path`, or `None` if there is none.
    fn node(&self, path: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// As [`Self::node`], saying whether the node is already known to be sound (`true`: it is one
    /// this process wrote or has checked before), so an update need not hash it again to check it
    /// against its parent. Hashing every loaded node costs about as much as the update's own
    /// rehashing; a warm cache makes most loads trusted.
    fn trusted_node(&self, path: &[u8]) -> Result<Option<(Vec<u8>, bool)>, StorageError> {
        Ok(self.node(path)?.map(|raw| (raw, false)))
    }

    /// Told that the node at `path` was checked against its parent's hash (a cache may now keep it).
    fn checked(&self, _path: &[u8], _raw: &[u8]) {}
}

impl NodeReader for HashMap<Vec<u8>, Vec<u8>> {
    fn node(&self, path: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.get(path).cloned())
    }
}

/// Node writes and deletions produced by [`TrieUpdate::commit`], keyed by path.
#[derive(Debug, Default)]
pub struct TrieWrites {
    /// Nodes to write: (path, RLP-encoded node).
    pub puts: Vec<(Vec<u8>, Vec<u8>)>,
    /// Paths of nodes to delete.
    pub deletes: Vec<Vec<u8>>,
}

impl TrieWrites {
    /// The writes as cache entries (`None`: deleted), keyed by `key(path)`.
    pub(crate) fn cache_entries<K>(&self, key: impl Fn(Vec<u8>) -> K) -> impl Iterator<Item = (K, Option<Vec<u8>>)> {
        let deletes = self.deletes.iter().map(move |path| (path.clone(), None));
        let puts = self.puts.iter().map(|(path, node)| (path.clone(), Some(node.clone())));
        deletes.chain(puts).map(move |(path, node)| (key(path), node))
    }

    /// Applies the writes to an in-memory node table (tests and tools).
    pub fn apply_to(self, table: &mut HashMap<Vec<u8>, Vec<u8>>) {
        for path in self.deletes {
            table.remove(&path);
        }
        table.extend(self.puts);
    }
}

enum Child {
    Empty,
    /// An untouched subtree: stored under its path, referenced by its RLP node (usually a hash).
    Stored(RlpNode),
    Loaded(Box<Node>),
}

// Branches are the common node on the hot path; boxing them would add an allocation per node.
#[allow(clippy::large_enum_variant)]
enum Node {
    Leaf { key: Vec<u8>, value: Vec<u8> },
    Extension { key: Vec<u8>, child: Child },
    Branch { children: [Child; 16] },
}

fn empty_children() -> [Child; 16] {
    std::array::from_fn(|_| Child::Empty)
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn join(path: &[u8], tail: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len() + tail.len());
    out.extend_from_slice(path);
    out.extend_from_slice(tail);
    out
}

/// Unpacks a 32-byte key into 64 nibbles.
pub fn key_nibbles(key: &B256) -> Vec<u8> {
    key.iter().flat_map(|b| [b >> 4, b & 0x0f]).collect()
}

/// A batch of changes against the trie with root `root`.
pub struct TrieUpdate<'a, R> {
    reader: &'a R,
    root: Child,
    /// Paths whose stored node was read; deleted at commit unless rewritten.
    loaded: Vec<Vec<u8>>,
    /// Keys inserted or removed so far.
    changes: usize,
}

impl<'a, R: NodeReader> TrieUpdate<'a, R> {
    /// An update of the trie with root `root`, reading stored nodes through `reader`.
    pub fn new(reader: &'a R, root: B256) -> Self {
        let root = if root == EMPTY_ROOT_HASH { Child::Empty } else { Child::Stored(RlpNode::word_rlp(&root)) };
        Self { reader, root, loaded: Vec::new(), changes: 0 }
    }

    /// Sets `key` (a 32-byte hashed key) to `value` (already RLP-encoded leaf value).
    pub fn insert(&mut self, key: &B256, value: Vec<u8>) -> Result<(), StorageError> {
        let nibbles = key_nibbles(key);
        self.changes += 1;
        let mut root = std::mem::replace(&mut self.root, Child::Empty);
        let result = self.insert_at(&mut root, &[], &nibbles, value);
        self.root = root;
        result
    }

    /// Removes `key` if present.
    pub fn remove(&mut self, key: &B256) -> Result<(), StorageError> {
        let nibbles = key_nibbles(key);
        self.changes += 1;
        let mut root = std::mem::replace(&mut self.root, Child::Empty);
        let result = self.remove_at(&mut root, &[], &nibbles);
        self.root = root;
        result
    }

    fn resolve(&mut self, child: &mut Child, path: &[u8]) -> Result<(), StorageError> {
        if let Child::Stored(reference) = child {
            let (raw, trusted) = self
                .reader
                .trusted_node(path)?
                .ok_or_else(|| StorageError::MissingTrieNode { path: alloy::hex::encode(path) })?;
            if !trusted {
                if reference.is_hash() && reference.as_hash() != Some(keccak256(&raw)) {
                    return Err(StorageError::Corrupt(format!(
                        "trie node at path {} does not match its parent's hash",
                        alloy::hex::encode(path)
                    )));
                }
                self.reader.checked(path, &raw);
            }
            let node = decode_node(&raw)?;
            self.loaded.push(path.to_vec());
            *child = Child::Loaded(Box::new(node));
        }
        Ok(())
    }

    fn insert_at(&mut self, child: &mut Child, path: &[u8], key: &[u8], value: Vec<u8>) -> Result<(), StorageError> {
        self.resolve(child, path)?;
        let node = match child {
            Child::Empty => {
                *child = Child::Loaded(Box::new(Node::Leaf { key: key.to_vec(), value }));
                return Ok(());
            }
            Child::Loaded(node) => node,
            Child::Stored(_) => unreachable!("resolved above"),
        };
        match node.as_mut() {
            Node::Leaf { key: leaf_key, value: leaf_value } => {
                if leaf_key.as_slice() == key {
                    *leaf_value = value;
                    return Ok(());
                }
                // Keys have equal length, so they differ at some nibble `p`.
                let p = common_prefix(leaf_key, key);
                let mut children = empty_children();
                children[leaf_key[p] as usize] = Child::Loaded(Box::new(Node::Leaf {
                    key: leaf_key[p + 1..].to_vec(),
                    value: std::mem::take(leaf_value),
                }));
                children[key[p] as usize] = Child::Loaded(Box::new(Node::Leaf { key: key[p + 1..].to_vec(), value }));
                **node = wrap_in_extension(&key[..p], Node::Branch { children });
            }
            Node::Extension { key: ext_key, child: ext_child } => {
                let p = common_prefix(ext_key, key);
                if p == ext_key.len() {
                    let sub = join(path, ext_key);
                    return self.insert_at(ext_child, &sub, &key[p..], value);
                }
                let mut children = empty_children();
                let old_child = std::mem::replace(ext_child, Child::Empty);
                let rest = &ext_key[p + 1..];
                children[ext_key[p] as usize] = if rest.is_empty() {
                    old_child
                } else {
                    Child::Loaded(Box::new(Node::Extension { key: rest.to_vec(), child: old_child }))
                };
                children[key[p] as usize] = Child::Loaded(Box::new(Node::Leaf { key: key[p + 1..].to_vec(), value }));
                **node = wrap_in_extension(&key[..p], Node::Branch { children });
            }
            Node::Branch { children } => {
                let nibble = key[0];
                let sub = join(path, &[nibble]);
                return self.insert_at(&mut children[nibble as usize], &sub, &key[1..], value);
            }
        }
        Ok(())
    }

    fn remove_at(&mut self, child: &mut Child, path: &[u8], key: &[u8]) -> Result<(), StorageError> {
        self.resolve(child, path)?;
        let node = match child {
            Child::Empty => return Ok(()),
            Child::Loaded(node) => node,
            Child::Stored(_) => unreachable!("resolved above"),
        };
        match node.as_mut() {
            Node::Leaf { key: leaf_key, .. } => {
                if leaf_key.as_slice() == key {
                    *child = Child::Empty;
                }
            }
            Node::Extension { key: ext_key, child: ext_child } => {
                if !key.starts_with(ext_key) {
                    return Ok(());
                }
                let sub = join(path, ext_key);
                self.remove_at(ext_child, &sub, &key[ext_key.len()..])?;
                // The child branch may have collapsed into a leaf or extension: merge upwards.
                let prefix = std::mem::take(ext_key);
                match std::mem::replace(ext_child, Child::Empty) {
                    Child::Empty => *child = Child::Empty,
                    Child::Loaded(inner) => match *inner {
                        Node::Leaf { key: k, value } => **node = Node::Leaf { key: join(&prefix, &k), value },
                        Node::Extension { key: k, child: c } => {
                            **node = Node::Extension { key: join(&prefix, &k), child: c }
                        }
                        branch @ Node::Branch { .. } => {
                            **node = Node::Extension { key: prefix, child: Child::Loaded(Box::new(branch)) }
                        }
                    },
                    stored @ Child::Stored(_) => **node = Node::Extension { key: prefix, child: stored },
                }
            }
            Node::Branch { children } => {
                let nibble = key[0] as usize;
                let sub = join(path, &[key[0]]);
                self.remove_at(&mut children[nibble], &sub, &key[1..])?;
                if !matches!(children[nibble], Child::Empty) {
                    return Ok(());
                }
                let mut remaining = children.iter().enumerate().filter(|(_, c)| !matches!(c, Child::Empty));
                let (only, _) = remaining.next().expect("a branch has at least two children");
                if remaining.next().is_some() {
                    return Ok(());
                }
                // One child left: the branch collapses into it (prefixed by its nibble).
                let mut last = std::mem::replace(&mut children[only], Child::Empty);
                self.resolve(&mut last, &join(path, &[only as u8]))?;
                let Child::Loaded(inner) = last else { unreachable!("resolved and non-empty") };
                **node = match *inner {
                    Node::Leaf { key: k, value } => Node::Leaf { key: join(&[only as u8], &k), value },
                    Node::Extension { key: k, child: c } => Node::Extension { key: join(&[only as u8], &k), child: c },
                    branch @ Node::Branch { .. } => {
                        Node::Extension { key: vec![only as u8], child: Child::Loaded(Box::new(branch)) }
                    }
                };
            }
        }
        Ok(())
    }

    /// Hashes the changed nodes and returns the new root with the node writes.
    pub fn commit(self) -> (B256, TrieWrites) {
        let mut puts = alloy::primitives::map::HashMap::default();
        let mut path = Vec::with_capacity(64);
        let root = match self.root {
            Child::Empty => EMPTY_ROOT_HASH,
            Child::Stored(reference) => reference.as_hash().expect("the root is referenced by hash"),
            Child::Loaded(node) => {
                match *node {
                    Node::Branch { children } if self.changes >= PARALLEL_COMMIT_CHANGES => {
                        commit_root_branch_in_halves(children, &mut puts)
                    }
                    node => {
                        commit_node(node, &mut path, &mut puts);
                    }
                }
                keccak256(&puts[&Vec::new()])
            }
        };
        let mut deletes: Vec<_> = self.loaded.into_iter().filter(|p| !puts.contains_key(p)).collect();
        let mut puts: Vec<_> = puts.into_iter().collect();
        // In key order: RocksDB's memtable inserts a sorted run by walking on from the previous key
        // instead of searching its skip list afresh for each one (with these writes in hash-map
        // order, the RocksDB write was a fifth of the block-building profile, much of it that search).
        deletes.sort_unstable();
        puts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        (root, TrieWrites { puts, deletes })
    }
}

/// Nodes written by a commit, by path.
type NodeMap = alloy::primitives::map::HashMap<Vec<u8>, Vec<u8>>;

fn wrap_in_extension(prefix: &[u8], node: Node) -> Node {
    if prefix.is_empty() {
        node
    } else {
        Node::Extension { key: prefix.to_vec(), child: Child::Loaded(Box::new(node)) }
    }
}

fn commit_child(child: Child, path: &mut Vec<u8>, puts: &mut NodeMap) -> Option<RlpNode> {
    match child {
        Child::Empty => None,
        Child::Stored(reference) => Some(reference),
        Child::Loaded(node) => Some(RlpNode::from_rlp(&commit_node(*node, path, puts))),
    }
}

/// Below this many changed keys a commit hashes on one thread: a second costs more to start than
/// it saves.
const PARALLEL_COMMIT_CHANGES: usize = 256;

/// Commits a root branch with its two halves of children hashed on two threads (the subtrees are
/// independent; only the root needs both), then the root itself.
fn commit_root_branch_in_halves(children: [Child; 16], puts: &mut NodeMap) {
    let mut children = children.into_iter();
    let low: Vec<Child> = children.by_ref().take(8).collect();
    let high: Vec<Child> = children.collect();
    let commit_half = |half: Vec<Child>, first: u8, puts: &mut NodeMap| {
        commit_children(half, first, &mut Vec::with_capacity(64), puts)
    };
    let (low, (high, high_puts)) = std::thread::scope(|scope| {
        let high = scope.spawn(|| {
            let mut high_puts = NodeMap::default();
            (commit_half(high, 8, &mut high_puts), high_puts)
        });
        let low = commit_half(low, 0, puts);
        (low, high.join().expect("hashing half of the trie panicked"))
    });
    puts.extend(high_puts);
    puts.insert(Vec::new(), encode_branch(low.into_iter().chain(high)));
}

/// Commits a branch's children (the first at nibble `first`) under `path`; their references in order.
fn commit_children(
    children: impl IntoIterator<Item = Child>,
    first: u8,
    path: &mut Vec<u8>,
    puts: &mut NodeMap,
) -> Vec<Option<RlpNode>> {
    children
        .into_iter()
        .zip(first..)
        .map(|(child, nibble)| {
            path.push(nibble);
            let reference = commit_child(child, path, puts);
            path.pop();
            reference
        })
        .collect()
}

/// The RLP of a branch whose children (by nibble) have these references (`None`: empty).
fn encode_branch(references: impl IntoIterator<Item = Option<RlpNode>>) -> Vec<u8> {
    let mut stack = Vec::with_capacity(16);
    let mut mask = TrieMask::default();
    for (reference, nibble) in references.into_iter().zip(0u8..) {
        if let Some(reference) = reference {
            stack.push(reference);
            mask.set_bit(nibble);
        }
    }
    let mut rlp = Vec::new();
    BranchNode::new(stack, mask).encode(&mut rlp);
    rlp
}

/// Writes `node` (and its loaded descendants) under `path`; returns its RLP.
fn commit_node(node: Node, path: &mut Vec<u8>, puts: &mut NodeMap) -> Vec<u8> {
    let mut rlp = Vec::new();
    match node {
        Node::Leaf { key, value } => {
            LeafNode::new(Nibbles::from_nibbles_unchecked(&key), value).encode(&mut rlp);
        }
        Node::Extension { key, child } => {
            let depth = path.len();
            path.extend_from_slice(&key);
            let child = commit_child(child, path, puts).expect("an extension has a child");
            path.truncate(depth);
            ExtensionNode::new(Nibbles::from_nibbles_unchecked(&key), child).encode(&mut rlp);
        }
        Node::Branch { children } => rlp = encode_branch(commit_children(children, 0, path, puts)),
    }
    puts.insert(path.clone(), rlp.clone());
    rlp
}

fn decode_node(raw: &[u8]) -> Result<Node, StorageError> {
    let node =
        TrieNode::decode(&mut &raw[..]).map_err(|e| StorageError::Corrupt(format!("undecodable trie node: {e}")))?;
    Ok(match node {
        TrieNode::EmptyRoot => return Err(StorageError::Corrupt("stored empty trie node".into())),
        TrieNode::Leaf(leaf) => Node::Leaf { key: leaf.key.to_vec(), value: leaf.value },
        TrieNode::Extension(ext) => Node::Extension { key: ext.key.to_vec(), child: Child::Stored(ext.child) },
        TrieNode::Branch(branch) => {
            let mut children = empty_children();
            let mut stack = branch.stack.into_iter();
            for nibble in 0..16u8 {
                if branch.state_mask.is_bit_set(nibble) {
                    children[nibble as usize] = Child::Stored(
                        stack
                            .next()
                            .ok_or_else(|| StorageError::Corrupt("branch node mask and children disagree".into()))?,
                    );
                }
            }
            Node::Branch { children }
        }
    })
}

/// One step from `node` towards the key whose nibbles below the node are `rest`: the nibbles the
/// step adds to the path and the child's reference. `None` where the key leaves the trie here or the
/// node is a leaf (the caller compares a leaf's key itself).
pub(crate) fn step_towards(node: &TrieNode, rest: &[u8]) -> Option<(Vec<u8>, RlpNode)> {
    match node {
        TrieNode::Branch(branch) => {
            let nibble = rest[0];
            if !branch.state_mask.is_bit_set(nibble) {
                return None;
            }
            let index = (0..nibble).filter(|n| branch.state_mask.is_bit_set(*n)).count();
            Some((vec![nibble], branch.stack[index].clone()))
        }
        TrieNode::Extension(ext) => {
            let ext_key = ext.key.to_vec();
            rest.starts_with(&ext_key).then(|| (ext_key, ext.child.clone()))
        }
        TrieNode::Leaf(_) | TrieNode::EmptyRoot => None,
    }
}

fn decode_trie_node(raw: &[u8]) -> Result<TrieNode, StorageError> {
    TrieNode::decode(&mut &raw[..]).map_err(|e| StorageError::Corrupt(format!("undecodable trie node: {e}")))
}

/// The EIP-1186 proof for `key`: the RLP of every hashed node from the root towards the key.
/// A proof of absence ends at the node where the key's path leaves the trie.
pub fn proof<R: NodeReader>(reader: &R, root: B256, key: &B256) -> Result<Vec<Vec<u8>>, StorageError> {
    let mut nodes = Vec::new();
    if root == EMPTY_ROOT_HASH {
        return Ok(nodes);
    }
    let key = key_nibbles(key);
    let mut path: Vec<u8> = Vec::new();
    loop {
        let raw =
            reader.node(&path)?.ok_or_else(|| StorageError::MissingTrieNode { path: alloy::hex::encode(&path) })?;
        let node = decode_trie_node(&raw)?;
        nodes.push(raw);
        // An inlined child is already inside this node's RLP.
        match step_towards(&node, &key[path.len()..]) {
            Some((step, child)) if child.is_hash() => path.extend_from_slice(&step),
            _ => break,
        }
    }
    Ok(nodes)
}

/// The leaf value stored under `key`, or `None` if the trie does not hold it.
pub fn get<R: NodeReader>(reader: &R, root: B256, key: &B256) -> Result<Option<Vec<u8>>, StorageError> {
    if root == EMPTY_ROOT_HASH {
        return Ok(None);
    }
    let key = key_nibbles(key);
    let missing = |path: &[u8]| StorageError::MissingTrieNode { path: alloy::hex::encode(path) };
    let mut path: Vec<u8> = Vec::new();
    let mut raw = reader.node(&path)?.ok_or_else(|| missing(&path))?;
    loop {
        let node = decode_trie_node(&raw)?;
        let rest = &key[path.len()..];
        if let TrieNode::Leaf(leaf) = node {
            return Ok((leaf.key.to_vec() == rest).then_some(leaf.value));
        }
        let Some((step, child)) = step_towards(&node, rest) else { return Ok(None) };
        path.extend_from_slice(&step);
        // A child shorter than a hash is inlined in its parent's RLP rather than stored.
        raw = if child.is_hash() { reader.node(&path)?.ok_or_else(|| missing(&path))? } else { child.to_vec() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::HashBuilder;
    use std::collections::BTreeMap;

    fn reference_root(entries: &BTreeMap<B256, Vec<u8>>) -> B256 {
        let mut builder = HashBuilder::default();
        for (key, value) in entries {
            builder.add_leaf(Nibbles::unpack(key), value);
        }
        builder.root()
    }

    /// A deterministic pseudo-random stream (xorshift) so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn key(&mut self, space: u64) -> B256 {
            keccak256((self.next() % space).to_be_bytes())
        }
    }

    /// Applies `batches` random batches (sizes from `size`, keys from `key_space`, a third of them
    /// removals) and checks the root against `HashBuilder` after each; returns the node table, the
    /// final root and the model.
    fn random_batches(
        seed: u64,
        batches: usize,
        size: impl Fn(&mut Rng) -> u64,
        key_space: u64,
    ) -> (Table, B256, BTreeMap<B256, Vec<u8>>) {
        let mut table = HashMap::new();
        let mut model = BTreeMap::new();
        let mut root = EMPTY_ROOT_HASH;
        let mut rng = Rng(seed);
        for batch in 0..batches {
            let mut update = TrieUpdate::new(&table, root);
            for _ in 0..size(&mut rng) {
                let key = rng.key(key_space);
                if rng.next().is_multiple_of(3) {
                    update.remove(&key).unwrap();
                    model.remove(&key);
                } else {
                    // Short values exercise inlined (< 32 byte) children too.
                    let value = vec![0x80 | (rng.next() % 60) as u8; 1 + (rng.next() % 40) as usize];
                    update.insert(&key, value.clone()).unwrap();
                    model.insert(key, value);
                }
            }
            let (new_root, writes) = update.commit();
            writes.apply_to(&mut table);
            root = new_root;
            assert_eq!(root, reference_root(&model), "batch {batch}");
        }
        (table, root, model)
    }

    #[test]
    fn random_updates_match_hash_builder_every_batch() {
        let (mut table, root, model) = random_batches(0x9e3779b97f4a7c15, 60, |rng| 1 + rng.next() % 40, 300);
        // Delete everything: the trie must become empty and leave no nodes behind.
        let mut update = TrieUpdate::new(&table, root);
        for key in model.keys() {
            update.remove(key).unwrap();
        }
        let (root, writes) = update.commit();
        writes.apply_to(&mut table);
        assert_eq!(root, EMPTY_ROOT_HASH);
        assert!(table.is_empty(), "{} stale nodes left", table.len());
    }

    #[test]
    fn large_batches_hashed_on_two_threads_match_hash_builder() {
        let size = (PARALLEL_COMMIT_CHANGES + 300) as u64;
        let (_, _, model) = random_batches(0x2545f4914f6cdd1d, 4, |_| size, 3_000);
        assert!(model.len() > 1_000, "the batches built a trie with many subtrees");
    }

    #[test]
    fn stored_nodes_stay_reachable_only() {
        // After many batches every stored node must be reachable from the root: no garbage.
        let mut table = HashMap::new();
        let mut root = EMPTY_ROOT_HASH;
        let mut rng = Rng(7);
        for _ in 0..30 {
            let mut update = TrieUpdate::new(&table, root);
            for _ in 0..25 {
                let key = rng.key(120);
                if rng.next().is_multiple_of(2) {
                    update.remove(&key).unwrap();
                } else {
                    update.insert(&key, vec![0xaa; 33]).unwrap();
                }
            }
            let (r, writes) = update.commit();
            writes.apply_to(&mut table);
            root = r;
        }
        let mut reachable = 0;
        let mut stack = vec![Vec::new()];
        while let Some(path) = stack.pop() {
            let Some(raw) = table.get(&path) else { continue };
            reachable += 1;
            match TrieNode::decode(&mut &raw[..]).unwrap() {
                TrieNode::Branch(b) => {
                    for n in 0..16u8 {
                        if b.state_mask.is_bit_set(n) {
                            stack.push(join(&path, &[n]));
                        }
                    }
                }
                TrieNode::Extension(e) => stack.push(join(&path, &e.key.to_vec())),
                _ => {}
            }
        }
        assert_eq!(reachable, table.len());
        let _ = root;
    }

    type Table = HashMap<Vec<u8>, Vec<u8>>;

    /// A trie of keys keccak(i) for i in `0..n`, each with `value(i)`: its node table, root and contents.
    fn build(n: u64, value: impl Fn(u64) -> Vec<u8>) -> (Table, B256, BTreeMap<B256, Vec<u8>>) {
        let mut table = HashMap::new();
        let mut update = TrieUpdate::new(&table, EMPTY_ROOT_HASH);
        let mut model = BTreeMap::new();
        for i in 0..n {
            let key = keccak256(i.to_be_bytes());
            update.insert(&key, value(i)).unwrap();
            model.insert(key, value(i));
        }
        let (root, writes) = update.commit();
        writes.apply_to(&mut table);
        (table, root, model)
    }

    #[test]
    fn proofs_verify_against_the_root() {
        let (table, root, model) = build(200, |i| alloy_rlp::encode(i + 1000));
        for i in [0u64, 17, 199, 5000] {
            let key = keccak256(i.to_be_bytes());
            let nodes = proof(&table, root, &key).unwrap();
            let expected = model.get(&key).cloned();
            alloy_trie::proof::verify_proof(
                root,
                Nibbles::unpack(key),
                expected,
                nodes.iter().map(|n| alloy::primitives::Bytes::from(n.clone())).collect::<Vec<_>>().iter(),
            )
            .unwrap_or_else(|e| panic!("proof for {i}: {e:?}"));
        }
    }

    #[test]
    fn get_finds_every_value_including_inlined_leaves() {
        // One-byte values make leaves short enough to be inlined in their parent.
        let (table, root, model) = build(300, |i| alloy_rlp::encode((i % 100) as u8));
        for (key, value) in &model {
            assert_eq!(get(&table, root, key).unwrap().as_ref(), Some(value));
        }
        for i in 300u64..340 {
            assert_eq!(get(&table, root, &keccak256(i.to_be_bytes())).unwrap(), None);
        }
        assert_eq!(get(&table, EMPTY_ROOT_HASH, &keccak256([1])).unwrap(), None);
    }
}
