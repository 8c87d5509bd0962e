//! The halo2 circuit of a `bai-tensor-v1` model: dense layers, `rdiv` rounding, ReLU between layers.
//!
//! Layout (one region, rows top to bottom; `C` lanes):
//! - **dot blocks**: for each layer and each group of `C` outputs, one row per input `i`: the input
//!   in `z`, the `C` weights `w[j][i]` in fixed columns `w_c`, and running sums in `acc_c`
//!   (`acc_c = w_c·z` on the block's first row, `acc_c = acc_c(prev) + w_c·z` after). The input
//!   cells are copies of the instance (first layer) or of the previous layer's outputs.
//! - **post rows**: four rows per output. With `a` the finished sum (a copy of its `acc` cell):
//!   `a = q·10⁶ + r − 5·10⁵ + s` with `s ∈ {0,1}`, `0 ≤ r < 10⁶` and `(1−2s)·a − s ∈ [0, 2⁷²)`
//!   (so `s = [a < 0]`: together that is `q = rdiv(a, 10⁶)`, half away from zero); `y = q + b` with
//!   `y + 2³¹ ∈ [0, 2³²)` (an `int32`: the prover refuses inputs that would saturate); `u ∈ {0,1}`
//!   with `(2u−1)·y + u − 1 ∈ [0, 2³²)` (so `u = [y ≥ 0]`); the output is `u·y` between layers
//!   (ReLU) and `y` after the last. Ranges are byte limbs looked up in a 256-row table.
//!
//! Sums are exact: `|a| < 2⁷¹` (int32 inputs, `Σ|w| < 2⁴⁰` per output, checked when a prover is
//! built), far below the BN254 scalar field's 2²⁵³.

use crate::trace::{HALF, Neuron};
use bai_reference::tensor::{DenseLayer, SCALE};
use halo2_axiom::{
    circuit::{Cell, Layouter, SimpleFloorPlanner, Value},
    halo2curves::{bn256::Fr, ff::PrimeField},
    plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Expression, Fixed, Instance, Selector, TableColumn},
    poly::Rotation,
};
use std::sync::Arc;

/// Limb columns the post rows use (and look up): lanes are never fewer.
pub(crate) const LIMBS: usize = 8;
/// Lane counts a layout may use.
pub(crate) const LANE_CHOICES: [usize; 3] = [8, 16, 32];
/// Rows halo2 keeps for blinding, plus slack: a layout must leave them free.
const RESERVED_ROWS: usize = 16;
/// Rows of the byte table.
const TABLE_ROWS: usize = 256;
/// Post rows per output.
const POST_ROWS: usize = 4;

/// The circuit's only shape parameter: how many outputs a dot row computes at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lanes(pub usize);

impl Default for Lanes {
    fn default() -> Self {
        Self(LANE_CHOICES[0])
    }
}

/// Rows a model takes with `lanes` lanes.
pub(crate) fn rows(layers: &[DenseLayer], lanes: usize) -> usize {
    layers.iter().map(|l| l.outputs.div_ceil(lanes) * l.inputs + POST_ROWS * l.outputs).sum()
}

/// The smallest `k` (2^k rows) that holds `rows`.
pub(crate) fn degree_for(rows: usize) -> u32 {
    let needed = (rows + RESERVED_ROWS).max(TABLE_ROWS + RESERVED_ROWS);
    needed.next_power_of_two().trailing_zeros()
}

/// A field element for a signed integer.
pub(crate) fn fe(v: i128) -> Fr {
    let magnitude = Fr::from_u128(v.unsigned_abs());
    if v < 0 { -magnitude } else { magnitude }
}

fn constant(v: i128) -> Expression<Fr> {
    Expression::Constant(fe(v))
}

/// `Σ 256^k · cells[k]`.
fn compose(cells: &[Expression<Fr>]) -> Expression<Fr> {
    cells.iter().rev().fold(constant(0), |sum, cell| sum * constant(256) + cell.clone())
}

/// The low `count` little-endian bytes of `v`. An honest witness's values are non-negative and fit;
/// a value that does not (a tampered witness in tests) just gives limbs the gates reject.
fn bytes(v: i128, count: usize) -> Vec<i128> {
    (0..count).map(|k| (v >> (8 * k)) & 0xff).collect()
}

#[derive(Debug, Clone)]
pub(crate) struct Config {
    z: Column<Advice>,
    acc: Vec<Column<Advice>>,
    w: Vec<Column<Fixed>>,
    instance: Column<Instance>,
    first: Selector,
    step: Selector,
    post: Selector,
    limb: Selector,
    table: TableColumn,
}

/// The features of one evaluation and every layer's neurons.
pub(crate) type Witness = (Vec<i32>, Arc<Vec<Vec<Neuron>>>);

/// The circuit of one model, with or without the witness of one evaluation.
#[derive(Debug, Clone)]
pub(crate) struct ModelCircuit {
    pub(crate) lanes: usize,
    pub(crate) layers: Arc<[DenseLayer]>,
    /// The features and every layer's neurons; `None` for key generation.
    pub(crate) witness: Option<Witness>,
}

impl Circuit<Fr> for ModelCircuit {
    type Config = Config;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = Lanes;

    fn without_witnesses(&self) -> Self {
        Self { lanes: self.lanes, layers: self.layers.clone(), witness: None }
    }

    fn params(&self) -> Lanes {
        Lanes(self.lanes)
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> Config {
        Self::configure_with_params(meta, Lanes::default())
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, lanes: Lanes) -> Config {
        let lanes = lanes.0.max(LIMBS);
        let z = meta.advice_column();
        let acc: Vec<_> = (0..lanes).map(|_| meta.advice_column()).collect();
        let w: Vec<_> = (0..lanes).map(|_| meta.fixed_column()).collect();
        let instance = meta.instance_column();
        meta.enable_equality(z);
        meta.enable_equality(instance);
        acc.iter().for_each(|c| meta.enable_equality(*c));
        let (first, step, post) = (meta.selector(), meta.selector(), meta.selector());
        let limb = meta.complex_selector();
        let table = meta.lookup_table_column();

        meta.create_gate("dot", |v| {
            let (first, step) = (v.query_selector(first), v.query_selector(step));
            let z = v.query_advice(z, Rotation::cur());
            let mut constraints = Vec::with_capacity(2 * lanes);
            for (acc, w) in acc.iter().zip(&w) {
                let (now, before) = (v.query_advice(*acc, Rotation::cur()), v.query_advice(*acc, Rotation::prev()));
                let product = v.query_fixed(*w, Rotation::cur()) * z.clone();
                constraints.push(first.clone() * (now.clone() - product.clone()));
                constraints.push(step.clone() * (now - before - product));
            }
            constraints
        });

        meta.create_gate("rdiv, bias, range, relu", |v| {
            let q_post = v.query_selector(post);
            let zs: Vec<_> = (0..4).map(|row| v.query_advice(z, Rotation(row))).collect();
            let limbs: Vec<Vec<_>> =
                (0..4).map(|row| (0..LIMBS).map(|k| v.query_advice(acc[k], Rotation(row))).collect()).collect();
            let limb = |k: usize, row: usize| limbs[row][k].clone();
            let (a, q, y, out) = (zs[0].clone(), zs[1].clone(), zs[2].clone(), zs[3].clone());
            let (s, remainder, u) = (limb(7, 1), limb(0, 3), limb(1, 3));
            let (bias, relu) = (v.query_fixed(w[0], Rotation::cur()), v.query_fixed(w[1], Rotation::cur()));
            let one = constant(1);
            let t_limbs: Vec<_> = (0..8).map(|k| limb(k, 0)).chain([limb(0, 1)]).collect();
            let constraints = [
                s.clone() * (one.clone() - s.clone()),
                u.clone() * (one.clone() - u.clone()),
                a.clone() - (q.clone() * constant(i128::from(SCALE)) + remainder.clone() - constant(HALF) + s.clone()),
                (one.clone() - constant(2) * s.clone()) * a - s - compose(&t_limbs),
                remainder.clone() - compose(&[limb(1, 1), limb(2, 1), limb(3, 1)]),
                constant(i128::from(SCALE) - 1) - remainder - compose(&[limb(4, 1), limb(5, 1), limb(6, 1)]),
                y.clone() - q - bias,
                y.clone() + constant(1 << 31) - compose(&[limb(0, 2), limb(1, 2), limb(2, 2), limb(3, 2)]),
                (constant(2) * u.clone() - one.clone()) * y.clone() + u.clone()
                    - one
                    - compose(&[limb(4, 2), limb(5, 2), limb(6, 2), limb(7, 2)]),
                out - y.clone() - relu * (u * y.clone() - y),
            ];
            constraints.into_iter().map(|c| q_post.clone() * c).collect::<Vec<_>>()
        });

        for column in acc.iter().take(LIMBS) {
            meta.lookup("byte", |v| {
                let limb = v.query_selector(limb);
                vec![(limb * v.query_advice(*column, Rotation::cur()), table)]
            });
        }
        Config { z, acc, w, instance, first, step, post, limb, table }
    }

    fn synthesize(&self, config: Config, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_table(
            || "bytes",
            |mut table| {
                for byte in 0..TABLE_ROWS {
                    table.assign_cell(|| "byte", config.table, byte, || Value::known(Fr::from(byte as u64)))?;
                }
                Ok(())
            },
        )?;
        let lanes = config.acc.len();
        let known = |v: i128| if self.witness.is_some() { Value::known(fe(v)) } else { Value::unknown() };
        let links = layouter.assign_region(
            || "model",
            |mut region| {
                // (cell, instance row) pairs: the first layer's inputs and the last layer's outputs.
                let mut links: Vec<(Cell, usize)> = Vec::new();
                let mut row = 0;
                let mut previous: Vec<Cell> = Vec::new();
                let input_dim = self.layers.first().map_or(0, |l| l.inputs);
                for (index, layer) in self.layers.iter().enumerate() {
                    let (n, m) = (layer.inputs, layer.outputs);
                    let last = index + 1 == self.layers.len();
                    let input = |i: usize| -> i128 {
                        match &self.witness {
                            None => 0,
                            Some((features, _)) if index == 0 => i128::from(features[i]),
                            Some((_, neurons)) => neurons[index - 1][i].out,
                        }
                    };
                    let mut sums: Vec<Cell> = Vec::with_capacity(m);
                    for block in 0..m.div_ceil(lanes) {
                        let mut running = vec![0i128; lanes];
                        #[allow(clippy::needless_range_loop)] // `i` is the row, the input and the weight column
                        for i in 0..n {
                            let r = row + i;
                            if i == 0 {
                                config.first.enable(&mut region, r)?
                            } else {
                                config.step.enable(&mut region, r)?
                            }
                            let x = input(i);
                            let cell = region.assign_advice(config.z, r, known(x)).cell();
                            if index == 0 {
                                links.push((cell, i));
                            } else {
                                region.constrain_equal(cell, previous[i]);
                            }
                            for (c, running) in running.iter_mut().enumerate() {
                                let j = block * lanes + c;
                                let weight = if j < m { i128::from(layer.weight[j * n + i]) } else { 0 };
                                region.assign_fixed(config.w[c], r, fe(weight));
                                *running += weight * x;
                                let sum = region.assign_advice(config.acc[c], r, known(*running)).cell();
                                if i + 1 == n && j < m {
                                    sums.push(sum);
                                }
                            }
                        }
                        row += n;
                    }
                    let mut outputs = Vec::with_capacity(m);
                    for (j, sum) in sums.into_iter().enumerate() {
                        let r = row + POST_ROWS * j;
                        let neuron = match &self.witness {
                            Some((_, neurons)) => neurons[index][j],
                            None => Neuron {
                                acc: 0,
                                quotient: 0,
                                remainder: 0,
                                negative: false,
                                pre: 0,
                                non_negative: true,
                                out: 0,
                            },
                        };
                        config.post.enable(&mut region, r)?;
                        for k in 0..3 {
                            config.limb.enable(&mut region, r + k)?;
                        }
                        region.assign_fixed(config.w[0], r, fe(i128::from(layer.bias[j])));
                        region.assign_fixed(config.w[1], r, fe(i128::from(!last)));
                        let s = i128::from(neuron.negative);
                        let u = i128::from(neuron.non_negative);
                        let magnitude = if neuron.negative { -neuron.acc - 1 } else { neuron.acc };
                        let put = |region: &mut halo2_axiom::circuit::Region<'_, Fr>, at: usize, cells: &[i128]| {
                            for (k, v) in cells.iter().enumerate() {
                                region.assign_advice(config.acc[k], at, known(*v));
                            }
                        };
                        // Row r: a | t bytes 0..8.
                        let a = region.assign_advice(config.z, r, known(neuron.acc)).cell();
                        region.constrain_equal(a, sum);
                        let t = bytes(magnitude, 9);
                        put(&mut region, r, &t[..8]);
                        // Row r+1: q | t byte 8, r bytes, (10⁶−1−r) bytes, s.
                        region.assign_advice(config.z, r + 1, known(neuron.quotient));
                        let mut cells = vec![t[8]];
                        cells.extend(bytes(neuron.remainder, 3));
                        cells.extend(bytes(i128::from(SCALE) - 1 - neuron.remainder, 3));
                        cells.push(s);
                        put(&mut region, r + 1, &cells);
                        // Row r+2: y | (y + 2³¹) bytes, ((2u−1)y + u − 1) bytes.
                        region.assign_advice(config.z, r + 2, known(neuron.pre));
                        let mut cells = bytes(neuron.pre + (1 << 31), 4);
                        cells.extend(bytes((2 * u - 1) * neuron.pre + u - 1, 4));
                        put(&mut region, r + 2, &cells);
                        // Row r+3: output | r, u.
                        let out = region.assign_advice(config.z, r + 3, known(neuron.out)).cell();
                        put(&mut region, r + 3, &[neuron.remainder, u]);
                        if last {
                            links.push((out, input_dim + j));
                        }
                        outputs.push(out);
                    }
                    row += POST_ROWS * m;
                    previous = outputs;
                }
                Ok(links)
            },
        )?;
        for (cell, row) in links {
            layouter.constrain_instance(cell, config.instance, row);
        }
        Ok(())
    }
}
