//! Reads GGUF files (versions 2 and 3): metadata and the F32, Q4_1 and Q8_0 tensors the reference
//! llama needs. Hand-written rather than candle's reader because this crate must build without
//! candle (whose kernels depend on build flags) and quickly, for the cross-build test.

use crate::{
    ReferenceError,
    kernels::{BLOCK, Q4_1Block, Q8_0Block},
};
use half::f16;
use std::{collections::HashMap, path::Path};

const MAGIC: u32 = 0x4655_4747; // "GGUF", little-endian
const DEFAULT_ALIGNMENT: u64 = 32;

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Any unsigned integer type.
    Uint(u64),
    /// Any signed integer type.
    Int(i64),
    /// `f32` or `f64`.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A UTF-8 string.
    Str(String),
    /// An array.
    Array(Vec<Value>),
}

/// Element types of the tensors this reader decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorType {
    /// `f32`.
    F32,
    /// 4-bit with scale and offset, 32 per block.
    Q4_1,
    /// 8-bit with scale, 32 per block.
    Q8_0,
    /// Anything else (its GGML type id).
    Other(u32),
}

/// A tensor's place in the file.
#[derive(Debug, Clone)]
pub struct TensorInfo {
    /// GGML dimensions, fastest-varying first (`[in, out]` for a weight matrix).
    pub dims: Vec<usize>,
    /// Element type.
    pub kind: TensorType,
    offset: usize,
}

/// A GGUF file read into memory.
pub struct Gguf {
    path: std::path::PathBuf,
    /// Metadata by key.
    pub metadata: HashMap<String, Value>,
    /// Tensors by name.
    pub tensors: HashMap<String, TensorInfo>,
    data: Vec<u8>,
    data_start: usize,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let slice = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(slice)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    fn string(&mut self) -> Option<String> {
        let n = usize::try_from(self.u64()?).ok()?;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
    fn value(&mut self, kind: u32, depth: u8) -> Option<Value> {
        let fixed = |c: &mut Self, n: usize| c.take(n).map(|b| b.to_vec());
        Some(match kind {
            0 => Value::Uint(u64::from(fixed(self, 1)?[0])),
            1 => Value::Int(i64::from(fixed(self, 1)?[0] as i8)),
            2 => Value::Uint(u64::from(u16::from_le_bytes(fixed(self, 2)?.try_into().ok()?))),
            3 => Value::Int(i64::from(i16::from_le_bytes(fixed(self, 2)?.try_into().ok()?))),
            4 => Value::Uint(u64::from(self.u32()?)),
            5 => Value::Int(i64::from(self.u32()? as i32)),
            6 => Value::Float(f64::from(f32::from_bits(self.u32()?))),
            7 => Value::Bool(fixed(self, 1)?[0] != 0),
            8 => Value::Str(self.string()?),
            9 if depth < 2 => {
                let (inner, count) = (self.u32()?, self.u64()?);
                // Bound the allocation by what the file could hold (one byte per element at least).
                let count = usize::try_from(count).ok().filter(|c| *c <= self.bytes.len())?;
                Value::Array((0..count).map(|_| self.value(inner, depth + 1)).collect::<Option<_>>()?)
            }
            10 => Value::Uint(self.u64()?),
            11 => Value::Int(self.u64()? as i64),
            12 => Value::Float(f64::from_bits(self.u64()?)),
            _ => return None,
        })
    }
}

impl Gguf {
    /// Reads and indexes the file at `path`.
    pub fn open(path: &Path) -> Result<Self, ReferenceError> {
        let data = crate::read(path)?;
        let bad = |why: &str| ReferenceError::format(path, why);
        let mut c = Cursor { bytes: &data, at: 0 };
        if c.u32() != Some(MAGIC) {
            return Err(bad("not a GGUF file"));
        }
        let version = c.u32().ok_or_else(|| bad("truncated header"))?;
        if !(2..=3).contains(&version) {
            return Err(bad(&format!("GGUF version {version} (2 or 3 supported)")));
        }
        let (tensor_count, kv_count) =
            (c.u64().ok_or_else(|| bad("truncated header"))?, c.u64().ok_or_else(|| bad("truncated header"))?);
        let mut metadata = HashMap::new();
        for _ in 0..kv_count {
            let key = c.string().ok_or_else(|| bad("truncated metadata key"))?;
            let kind = c.u32().ok_or_else(|| bad("truncated metadata"))?;
            let value = c.value(kind, 0).ok_or_else(|| bad(&format!("bad metadata value for {key}")))?;
            metadata.insert(key, value);
        }
        let mut tensors = HashMap::new();
        for _ in 0..tensor_count {
            let name = c.string().ok_or_else(|| bad("truncated tensor name"))?;
            let n_dims = c.u32().filter(|n| *n <= 4).ok_or_else(|| bad("bad tensor rank"))?;
            let dims = (0..n_dims)
                .map(|_| c.u64().and_then(|d| usize::try_from(d).ok()))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("truncated tensor dims"))?;
            let kind = match c.u32().ok_or_else(|| bad("truncated tensor type"))? {
                0 => TensorType::F32,
                3 => TensorType::Q4_1,
                8 => TensorType::Q8_0,
                other => TensorType::Other(other),
            };
            let offset = c.u64().and_then(|o| usize::try_from(o).ok()).ok_or_else(|| bad("bad tensor offset"))?;
            tensors.insert(name, TensorInfo { dims, kind, offset });
        }
        let alignment = match metadata.get("general.alignment") {
            Some(Value::Uint(a)) if *a > 0 => *a,
            _ => DEFAULT_ALIGNMENT,
        } as usize;
        let data_start = c.at.div_ceil(alignment) * alignment;
        Ok(Self { path: path.to_path_buf(), metadata, tensors, data, data_start })
    }

    pub(crate) fn error(&self, why: String) -> ReferenceError {
        ReferenceError::Format { path: self.path.clone(), why }
    }

    /// Metadata `key` as an unsigned integer.
    pub fn uint(&self, key: &str) -> Result<u64, ReferenceError> {
        match self.metadata.get(key) {
            Some(Value::Uint(v)) => Ok(*v),
            Some(Value::Int(v)) if *v >= 0 => Ok(*v as u64),
            _ => Err(self.error(format!("metadata {key} missing or not an unsigned integer"))),
        }
    }

    /// Metadata `key` as a float.
    pub fn float(&self, key: &str) -> Result<f64, ReferenceError> {
        match self.metadata.get(key) {
            Some(Value::Float(v)) => Ok(*v),
            _ => Err(self.error(format!("metadata {key} missing or not a float"))),
        }
    }

    fn bytes(
        &self,
        name: &str,
        kind: TensorType,
        block_bytes: usize,
        per_block: usize,
    ) -> Result<(&[u8], &TensorInfo), ReferenceError> {
        let info = self.tensors.get(name).ok_or_else(|| self.error(format!("tensor {name} missing")))?;
        if info.kind != kind {
            return Err(self.error(format!("tensor {name} is {:?}, expected {kind:?}", info.kind)));
        }
        let elements: usize = info.dims.iter().product();
        if !elements.is_multiple_of(per_block) {
            return Err(self.error(format!("tensor {name}: {elements} elements are not whole blocks")));
        }
        let start = self.data_start + info.offset;
        let len = elements / per_block * block_bytes;
        let bytes =
            self.data.get(start..start + len).ok_or_else(|| self.error(format!("tensor {name} runs past the end")))?;
        Ok((bytes, info))
    }

    /// An F32 tensor's values.
    pub fn f32(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), ReferenceError> {
        let (bytes, info) = self.bytes(name, TensorType::F32, 4, 1)?;
        Ok((info.dims.clone(), bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()))
    }

    /// A Q4_1 tensor's blocks (20 bytes each: f16 d, f16 m, 16 bytes of nibbles).
    pub fn q4_1(&self, name: &str) -> Result<(Vec<usize>, Vec<Q4_1Block>), ReferenceError> {
        let (bytes, info) = self.bytes(name, TensorType::Q4_1, 4 + BLOCK / 2, BLOCK)?;
        let blocks = bytes
            .chunks_exact(4 + BLOCK / 2)
            .map(|b| Q4_1Block {
                d: f16::from_le_bytes([b[0], b[1]]).to_f32(),
                m: f16::from_le_bytes([b[2], b[3]]).to_f32(),
                qs: b[4..].try_into().expect("16 bytes"),
            })
            .collect();
        Ok((info.dims.clone(), blocks))
    }

    /// A Q8_0 tensor's blocks (34 bytes each: f16 d, 32 signed bytes).
    pub fn q8_0(&self, name: &str) -> Result<(Vec<usize>, Vec<Q8_0Block>), ReferenceError> {
        let (bytes, info) = self.bytes(name, TensorType::Q8_0, 2 + BLOCK, BLOCK)?;
        let blocks = bytes
            .chunks_exact(2 + BLOCK)
            .map(|b| Q8_0Block {
                d: f16::from_le_bytes([b[0], b[1]]).to_f32(),
                q: core::array::from_fn(|i| b[2 + i] as i8),
            })
            .collect();
        Ok((info.dims.clone(), blocks))
    }
}
