//! Runs loaded models on worker threads — one per model, so a long generation never blocks an
//! embedding — behind bounded queues (a full queue answers "overloaded" at once: backpressure)
//! with a per-request deadline. Embedding requests waiting together are batched.
//!
//! [`Runtime`] chooses, per model kind, the fast path (candle: native SIMD, CUDA) or the bit-exact
//! reference runtime (`bai-reference`); tensor models have a single integer definition.

use crate::{
    DeviceKind,
    catalog::{Catalog, ModelFiles, ModelInfo, model_id},
    embedding::{Embedder, ReferenceEmbedder, quantize},
    generation::{Generated, Generator, ReferenceGenerator, Sampling},
    tensor::{Scored, TensorModel},
};
use alloy_primitives::{B256, Bytes};
use bai_precompiles::{
    BackendError, InferenceBackend, InferenceOutput, InferenceRequest, ModelKind, tensor_io, witness::pack_embedding,
};
use std::{
    collections::{BTreeMap, HashMap},
    path::PathBuf,
    sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError},
    time::{Duration, Instant},
};

/// Which implementation serves the float models.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    /// What the shipped models' verification rules ask of an honest operator: generation on the
    /// reference runtime (declared exact: after one different greedy token the whole text differs),
    /// embeddings on the fast path (judged within a tolerance measured on a corpus).
    #[default]
    Auto,
    /// Every model on the bit-exact reference runtime: what the challenger runs.
    Reference,
    /// Every model on the fast path. Generation results then depend on the CPU's kernels: an
    /// operator serving a model declared exact this way can be slashed.
    Fast,
}

impl std::str::FromStr for Runtime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "reference" => Ok(Self::Reference),
            "fast" => Ok(Self::Fast),
            other => Err(format!("unknown inference runtime {other:?} (expected auto, reference or fast)")),
        }
    }
}

impl Runtime {
    /// Whether models of `kind` run on the reference runtime.
    pub fn reference_for(self, kind: ModelKind) -> bool {
        match self {
            Self::Reference => true,
            Self::Fast => false,
            Self::Auto => kind == ModelKind::Generation,
        }
    }
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Where the fast-path models run (the reference runtime always runs on the CPU).
    pub device: DeviceKind,
    /// Fast path or reference runtime, per model kind.
    pub runtime: Runtime,
    /// Requests waiting per model before new ones are refused.
    pub queue: usize,
    /// Most embedding requests run in one forward pass.
    pub max_batch: usize,
    /// How long a caller waits for an answer (queueing included).
    pub timeout: Duration,
    /// Where tensor models' proof generators are cached (`bai_zk::Setup::with_cache`); `None`: in memory.
    pub zk_cache: Option<PathBuf>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            device: DeviceKind::Cpu,
            runtime: Runtime::Auto,
            queue: 64,
            max_batch: 16,
            timeout: Duration::from_secs(60),
            zk_cache: None,
        }
    }
}

enum Work {
    Embed { text: String, max_tokens: u32 },
    Generate { prompt: String, max_tokens: u32, sampling: Sampling },
    Evaluate { features: Vec<i32> },
    Prove { features: Vec<i32> },
    ZkKey,
}

enum Done {
    Embedding { values: Vec<i32>, units: u64 },
    Generated(Generated),
    Scored(Scored),
    Proved(Proven),
    ZkKey(ZkKey),
}

/// A tensor model's scores with a zero-knowledge proof of them (`bai-zk`).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Proven {
    /// Index of the highest score.
    pub label: u32,
    /// The scores (×10⁶), the proof's public output.
    pub scores: Vec<i32>,
    /// Metered units, as `bai_infer` reports them.
    pub units: u64,
    /// The halo2 proof.
    pub proof: alloy_primitives::Bytes,
    /// keccak-256 of the model's verifying key: the proof verifies only against that key.
    pub commitment: B256,
}

/// A tensor model's zero-knowledge verifying key.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZkKey {
    /// The serialised key (`bai_zk::VerifyingKey::to_bytes`).
    pub key: alloy_primitives::Bytes,
    /// Its keccak-256: what a registry records.
    pub commitment: B256,
    /// The circuit has 2^degree rows.
    pub degree: u32,
}

struct Job {
    work: Work,
    deadline: Instant,
    reply: mpsc::Sender<Result<Done, BackendError>>,
}

struct Served {
    info: ModelInfo,
    queue: SyncSender<Job>,
    /// Tensor models: the queue of their proof worker.
    proofs: Option<SyncSender<Job>>,
}

/// The models this process serves.
pub struct Engine {
    models: HashMap<B256, Served>,
    config: EngineConfig,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("models", &self.models.len()).finish()
    }
}

impl Engine {
    /// Loads every model of `catalog` and starts its worker.
    pub fn load(catalog: &Catalog, config: EngineConfig) -> anyhow::Result<Self> {
        let device = config.device.device()?;
        let mut models = HashMap::new();
        for (name, files) in &catalog.models {
            let started = Instant::now();
            let identity = files.identity_files();
            let id = model_id(&identity)?;
            let (queue, jobs) = mpsc::sync_channel::<Job>(config.queue);
            let mut labels = Vec::new();
            let mut proofs = None;
            let reference = config.runtime.reference_for(files.kind());
            let runtime = match files {
                ModelFiles::Bert { dir } => {
                    let embedder = if reference {
                        Embedding::Reference(ReferenceEmbedder::load(dir)?)
                    } else {
                        Embedding::Fast(Embedder::load(dir, &device)?)
                    };
                    let max_batch = config.max_batch;
                    spawn_worker(name, move || embedding_worker(embedder, jobs, max_batch))?;
                    if reference { "reference" } else { "fast" }
                }
                ModelFiles::Gguf { path } => {
                    let generator = if reference {
                        Generation::Reference(ReferenceGenerator::load(path)?)
                    } else {
                        Generation::Fast(Generator::load(path, &device)?)
                    };
                    spawn_worker(name, move || generation_worker(generator, jobs))?;
                    if reference { "reference" } else { "fast" }
                }
                ModelFiles::Tensor { dir } => {
                    let model = TensorModel::load(dir)?;
                    labels = model.manifest().labels.clone();
                    let (proof_queue, proof_jobs) = mpsc::sync_channel::<Job>(config.queue);
                    let (prover_model, cache) = (model.clone(), config.zk_cache.clone());
                    spawn_worker(&format!("{name}-zk"), move || proof_worker(prover_model, cache, proof_jobs))?;
                    proofs = Some(proof_queue);
                    spawn_worker(name, move || tensor_worker(model, jobs))?;
                    "integer"
                }
            };
            tracing::info!(target: "inference", %name, %id, kind = ?files.kind(), runtime, elapsed = ?started.elapsed(), "model loaded");
            let info = ModelInfo {
                id,
                name: name.clone(),
                kind: files.kind(),
                files: identity.iter().map(|p| p.display().to_string()).collect(),
                labels,
                runtime: runtime.to_string(),
            };
            models.insert(id, Served { info, queue, proofs });
        }
        Ok(Self { models, config })
    }

    /// What is served, by name.
    pub fn models(&self) -> Vec<ModelInfo> {
        let mut list: Vec<_> = self.models.values().map(|s| s.info.clone()).collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    fn submit(&self, model: B256, kind: ModelKind, work: Work) -> Result<Done, BackendError> {
        let served = self.models.get(&model).ok_or(BackendError::UnknownModel(model))?;
        if served.info.kind != kind {
            return Err(BackendError::InvalidInput(format!(
                "model {model} is a {:?} model, not {kind:?}",
                served.info.kind
            )));
        }
        let queue = match work {
            Work::Prove { .. } | Work::ZkKey => served.proofs.as_ref().ok_or_else(|| {
                BackendError::InvalidInput(format!("model {model} is not a tensor model: nothing to prove"))
            })?,
            _ => &served.queue,
        };
        let (reply, answer) = mpsc::channel();
        let deadline = Instant::now() + self.config.timeout;
        match queue.try_send(Job { work, deadline, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                metrics::counter!("bai_inference_rejected_total").increment(1);
                return Err(BackendError::Overloaded);
            }
            Err(TrySendError::Disconnected(_)) => return Err(BackendError::Failed("model worker stopped".into())),
        }
        let started = Instant::now();
        let result = match answer.recv_timeout(self.config.timeout) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(BackendError::Timeout(self.config.timeout)),
            Err(RecvTimeoutError::Disconnected) => Err(BackendError::Failed("model worker stopped".into())),
        };
        metrics::histogram!("bai_inference_seconds", "model" => served.info.name.clone())
            .record(started.elapsed().as_secs_f64());
        result
    }

    /// Embeds `text` (fixed point, unit length) and reports the tokens used.
    pub fn embed(&self, model: B256, text: &str, max_tokens: u32) -> Result<(Vec<i32>, u64), BackendError> {
        match self.submit(model, ModelKind::Embedding, Work::Embed { text: text.to_string(), max_tokens })? {
            Done::Embedding { values, units } => Ok((values, units)),
            _ => Err(BackendError::Failed("unexpected answer".into())),
        }
    }

    /// Generates an answer to `prompt`.
    pub fn generate(
        &self,
        model: B256,
        prompt: &str,
        max_tokens: u32,
        sampling: Sampling,
    ) -> Result<Generated, BackendError> {
        let work = Work::Generate { prompt: prompt.to_string(), max_tokens, sampling };
        match self.submit(model, ModelKind::Generation, work)? {
            Done::Generated(generated) => Ok(generated),
            _ => Err(BackendError::Failed("unexpected answer".into())),
        }
    }

    /// Evaluates a tensor model on fixed-point `features`, refusing work beyond `max_units`.
    pub fn evaluate(&self, model: B256, features: Vec<i32>, max_units: u32) -> Result<Scored, BackendError> {
        match self.submit(model, ModelKind::Generic, Work::Evaluate { features })? {
            Done::Scored(scored) if scored.units > max_units as u64 => Err(BackendError::InvalidInput(format!(
                "the model needs {} units per call, maxUnits is {max_units}",
                scored.units
            ))),
            Done::Scored(scored) => Ok(scored),
            _ => Err(BackendError::Failed("unexpected answer".into())),
        }
    }

    /// Evaluates a tensor model and proves the scores. The model's proving key is built on the first
    /// proof (well under a second for the shipped classifier) and kept.
    pub fn prove(&self, model: B256, features: Vec<i32>) -> Result<Proven, BackendError> {
        match self.submit(model, ModelKind::Generic, Work::Prove { features })? {
            Done::Proved(proven) => Ok(proven),
            _ => Err(BackendError::Failed("unexpected answer".into())),
        }
    }

    /// A tensor model's zero-knowledge verifying key.
    pub fn zk_key(&self, model: B256) -> Result<ZkKey, BackendError> {
        match self.submit(model, ModelKind::Generic, Work::ZkKey)? {
            Done::ZkKey(key) => Ok(key),
            _ => Err(BackendError::Failed("unexpected answer".into())),
        }
    }

    /// Label names of a tensor model, if its manifest has them.
    pub fn labels(&self, model: B256) -> Vec<String> {
        self.models.get(&model).map(|s| s.info.labels.clone()).unwrap_or_default()
    }
}

impl InferenceBackend for Engine {
    /// The precompile's view: greedy decoding, compact outputs.
    fn run(&self, request: &InferenceRequest) -> Result<InferenceOutput, BackendError> {
        let text = || {
            std::str::from_utf8(&request.input)
                .map_err(|_| BackendError::InvalidInput("text is not valid UTF-8".into()))
        };
        match request.kind {
            ModelKind::Embedding => {
                let text = text()?;
                let (values, units) = self.embed(request.model, text, request.max_units)?;
                Ok(InferenceOutput::new(pack_embedding(&values), units))
            }
            ModelKind::Generation => {
                let text = text()?;
                let generated = self.generate(request.model, text, request.max_units, Sampling::default())?;
                Ok(InferenceOutput::new(Bytes::from(generated.text.into_bytes()), generated.units))
            }
            ModelKind::Generic if request.prove => {
                let features = tensor_io::decode_features(&request.input).map_err(BackendError::InvalidInput)?;
                let proven = self.prove(request.model, features)?;
                if proven.units > request.max_units as u64 {
                    return Err(BackendError::InvalidInput(format!(
                        "the model needs {} units per call, maxUnits is {}",
                        proven.units, request.max_units
                    )));
                }
                Ok(InferenceOutput {
                    output: tensor_io::encode_scores(proven.label, &proven.scores),
                    units: proven.units,
                    proof: Some(proven.proof),
                })
            }
            ModelKind::Generic => {
                let features = tensor_io::decode_features(&request.input).map_err(BackendError::InvalidInput)?;
                let scored = self.evaluate(request.model, features, request.max_units)?;
                Ok(InferenceOutput::new(tensor_io::encode_scores(scored.label, &scored.scores), scored.units))
            }
        }
    }
}

fn spawn_worker(name: &str, f: impl FnOnce() + Send + 'static) -> anyhow::Result<()> {
    std::thread::Builder::new().name(format!("infer-{name}")).spawn(f)?;
    Ok(())
}

fn expired(job: &Job) -> bool {
    if Instant::now() < job.deadline {
        return false;
    }
    let _ = job.reply.send(Err(BackendError::Timeout(Duration::ZERO)));
    true
}

/// The embedding model on one runtime or the other.
enum Embedding {
    Fast(Embedder),
    Reference(ReferenceEmbedder),
}

impl Embedding {
    fn tokenize(&self, text: &str, max_tokens: usize) -> anyhow::Result<Vec<u32>> {
        match self {
            Self::Fast(e) => e.tokenize(text, max_tokens),
            Self::Reference(e) => e.tokenize(text, max_tokens),
        }
    }

    /// Fixed-point embeddings of equal-length rows.
    fn embed(&self, rows: &[Vec<u32>]) -> anyhow::Result<Vec<Vec<i32>>> {
        match self {
            Self::Fast(e) => Ok(e.embed_same_length(rows)?.iter().map(|unit| quantize(unit)).collect()),
            Self::Reference(e) => rows.iter().map(|ids| e.embed(ids)).collect(),
        }
    }
}

/// The generation model on one runtime or the other.
enum Generation {
    Fast(Generator),
    Reference(ReferenceGenerator),
}

fn embedding_worker(embedder: Embedding, jobs: Receiver<Job>, max_batch: usize) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // Group by token count: equal-length rows need no padding, so batching never changes a result.
        let mut groups: BTreeMap<usize, Vec<(Job, Vec<u32>)>> = BTreeMap::new();
        for job in batch {
            if expired(&job) {
                continue;
            }
            let Work::Embed { text, max_tokens } = &job.work else { continue };
            match embedder.tokenize(text, *max_tokens as usize) {
                Ok(ids) => groups.entry(ids.len()).or_default().push((job, ids)),
                Err(error) => {
                    let _ = job.reply.send(Err(BackendError::InvalidInput(error.to_string())));
                }
            }
        }
        for (len, group) in groups {
            let rows: Vec<Vec<u32>> = group.iter().map(|(_, ids)| ids.clone()).collect();
            metrics::histogram!("bai_inference_batch_size").record(rows.len() as f64);
            match embedder.embed(&rows) {
                Ok(vectors) => {
                    for ((job, _), values) in group.into_iter().zip(vectors) {
                        let done = Done::Embedding { values, units: len as u64 };
                        let _ = job.reply.send(Ok(done));
                    }
                }
                Err(error) => {
                    for (job, _) in group {
                        let _ = job.reply.send(Err(BackendError::Failed(error.to_string())));
                    }
                }
            }
        }
    }
}

fn tensor_worker(model: TensorModel, jobs: Receiver<Job>) {
    while let Ok(job) = jobs.recv() {
        if expired(&job) {
            continue;
        }
        let Work::Evaluate { features } = &job.work else { continue };
        let result = model.evaluate(features).map(Done::Scored).map_err(|e| BackendError::InvalidInput(e.to_string()));
        let _ = job.reply.send(result);
    }
}

/// Proofs of one tensor model, on their own thread: a proof takes from a third of a second to seconds,
/// and the model's evaluations (what sequencers wait on) must not queue behind one. The keys are built
/// on the first request, so a server never asked for proofs pays nothing.
fn proof_worker(model: TensorModel, cache: Option<PathBuf>, jobs: Receiver<Job>) {
    let setup = cache.map_or_else(bai_zk::Setup::new, bai_zk::Setup::with_cache);
    let mut prover = None;
    while let Ok(job) = jobs.recv() {
        if expired(&job) {
            continue;
        }
        let result = match prover.get_or_insert_with(|| bai_zk::Prover::new(&model, &setup)) {
            Ok(prover) => zk_answer(prover, &model, &job.work),
            Err(e) => Err(BackendError::InvalidInput(e.to_string())),
        };
        let _ = job.reply.send(result);
    }
}

fn zk_answer(prover: &bai_zk::Prover, model: &TensorModel, work: &Work) -> Result<Done, BackendError> {
    let key = prover.verifying_key();
    let commitment = B256::from(key.commitment());
    match work {
        Work::Prove { features } => {
            let proved = prover.prove(features).map_err(|e| match e {
                bai_zk::ZkError::Prover(why) => BackendError::Failed(why),
                other => BackendError::InvalidInput(other.to_string()),
            })?;
            Ok(Done::Proved(Proven {
                label: proved.label,
                scores: proved.scores,
                units: model.units(),
                proof: proved.proof.into(),
                commitment,
            }))
        }
        _ => Ok(Done::ZkKey(ZkKey { key: key.to_bytes().to_vec().into(), commitment, degree: key.degree() })),
    }
}

fn generation_worker(generator: Generation, jobs: Receiver<Job>) {
    while let Ok(job) = jobs.recv() {
        if expired(&job) {
            continue;
        }
        let Work::Generate { prompt, max_tokens, sampling } = &job.work else { continue };
        let result = match &generator {
            Generation::Fast(g) => g.generate(prompt, *max_tokens, *sampling),
            Generation::Reference(g) => g.generate(prompt, *max_tokens, *sampling),
        };
        let result = result.map(Done::Generated).map_err(|e| BackendError::Failed(e.to_string()));
        if let Ok(Done::Generated(g)) = &result {
            metrics::counter!("bai_inference_tokens_total").increment(g.units);
        }
        let _ = job.reply.send(result);
    }
}
