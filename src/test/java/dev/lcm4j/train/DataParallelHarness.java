package dev.lcm4j.train;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.config.TrainingConfig;
import dev.lcm4j.data.Document;
import dev.lcm4j.dist.DistributedEnvironment;
import dev.lcm4j.dist.DistributedGroup;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.models.ModelFamily;
import dev.lcm4j.models.baselcm.BaseLcmConfig;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.models.normalizer.SonarNormalizerConfig;
import dev.lcm4j.models.onetower.OneTowerDiffusionLcmConfig;
import dev.lcm4j.models.quantlcm.QuantLcm;
import dev.lcm4j.models.quantlcm.QuantLcmConfig;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcmConfig;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.nn.denoisers.DenoiserConfig;
import dev.lcm4j.nn.schedulers.DdimSchedulerConfig;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;

/**
 * Runs 5 training steps of small models on fixed global batches, as one process or as one rank of several (started by
 * {@code LocalLauncher}), with the trainer's own {@link TrainStep} and {@link ParameterUpdater}s, and writes the final
 * parameters to {@code <dir>/<case>.pt} (rank 0). {@code DataParallelTest} compares the files of a 1-process and a
 * 2-process run: the same global batches must give the same parameters.
 *
 * <p>A step's global batch is G micro-batches of random documents; rank r of W runs micro-batches r, r + W, ...
 * (accumulation G / W), which is how the trainer numbers them for its random draws.
 */
public final class DataParallelHarness {
    static final int DIM = 16, STEPS = 5;

    /**
     * @param family    base_lcm or two_tower_diffusion_lcm
     * @param sharded   the sharded optimizer on several ranks (one process always runs the replicated one)
     * @param micro     micro-batches in a step's global batch
     * @param fullBatch one process runs the whole global batch as ONE micro-batch (MSE without dropout only)
     * @param bf16Reduce the sharded ranks sum gradients in bfloat16 ({@code fsdp_fp32_reduce: false}): close, not equal
     * @param overflow  the fp16 loss scaler runs, and global micro-batch 1 of step 2 (rank 1's on two processes) has an
     *                  inf gradient: every rank must skip that step, halve the scale and retry on other batches
     */
    record Case(String name, String family, boolean sharded, int micro, boolean fullBatch, boolean bf16Reduce, boolean overflow) {
        Case(String name, String family, boolean sharded, int micro, boolean fullBatch) {
            this(name, family, sharded, micro, fullBatch, false, false);
        }

        Case(String name, String family, boolean sharded, int micro, boolean fullBatch, boolean bf16Reduce) {
            this(name, family, sharded, micro, fullBatch, bf16Reduce, false);
        }
    }

    static final int OVERFLOW_STEP = 2;
    static final double INIT_SCALE = 1024;

    static final List<Case> CASES = List.of(
            new Case("mse_replicated", "base_lcm", false, 2, false),
            new Case("mse_sharded", "base_lcm", true, 2, false),
            new Case("two_tower_replicated", "two_tower_diffusion_lcm", false, 2, false),
            new Case("two_tower_sharded", "two_tower_diffusion_lcm", true, 2, false),
            new Case("mse_accumulation_4", "base_lcm", false, 4, false),
            new Case("mse_sharded_accumulation_4", "base_lcm", true, 4, false),
            new Case("mse_full_batch", "base_lcm", false, 2, true),
            new Case("mse_sharded_bf16_reduce", "base_lcm", true, 2, false, true),
            new Case("mse_overflow_on_one_rank", "base_lcm", false, 2, false, false, true),
            new Case("mse_sharded_overflow_on_one_rank", "base_lcm", true, 2, false, false, true),
            // the families added after data parallelism: nothing family-specific in the trainer, so they scale alike
            new Case("one_tower_replicated", "one_tower_diffusion_lcm", false, 2, false),
            new Case("quant_lcm_d_sharded", "quant_lcm_d", true, 2, false),
            new Case("quant_lcm_c_replicated", "quant_lcm_c", false, 2, false));

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        TorchRuntime.init();
        try (DistributedGroup group = DistributedGroup.join(DistributedEnvironment.fromEnvironment(),
                new DistributedGroup.Timeouts(Duration.ofSeconds(60), Duration.ofSeconds(120)))) {
            for (Case c : CASES) {
                Lcm model = run(c, group);
                if (group.isMain()) Checkpoints.saveModel(dir.resolve(c.name() + ".pt"), model);
                group.barrier();
            }
        }
        if (args.length > 1) Files.writeString(Path.of(args[1]), "done");
    }

    static Lcm run(Case c, DistributedGroup group) {
        int world = group.worldSize();
        boolean mse = c.family().equals("base_lcm");
        boolean dropout = !c.fullBatch();
        manual_seed(11);
        Lcm model = model(c);
        model.train(true);
        ModelFamily<?, ?, ?> family = ModelFamilies.of(model);
        CriterionConfig cc = CriterionConfig.builder()
                .name(family.criterionNames().get(0)).compute_rmse(false)
                .cf_guidance_probability(mse ? 0.0 : 0.15).build();
        Criterion inner = family.criterionOf(cc, model);
        FixedBatches data = new FixedBatches(c, group.rank(), world);
        Tensor victim = model.namedParameters().values().iterator().next();
        Criterion criterion = !c.overflow() ? inner : new Criterion() {
            @Override
            public Loss loss(Lcm m, dev.lcm4j.models.EmbeddingsBatch batch) {
                Loss l = inner.loss(m, batch);
                if (data.step != OVERFLOW_STEP || data.attempt > 0 || data.lastGlobal != 1) return l;
                // sqrt(p - p) is 0, its derivative +inf: a finite loss whose gradient overflows
                return new Loss(l.loss().add(victim.sub(victim.detach()).sqrt().sum()), l.numTargets(), l.summands());
            }

            @Override
            public boolean supervised() {
                return false;
            }
        };
        int accumulation = c.fullBatch() && world == 1 ? 1 : c.micro() / world;
        TrainingConfig cfg = TrainingConfig.builder().output_dir("unused").criterion(cc).seed(3).lr(3e-3).lr_schedule("noop")
                .max_grad_norm(0.5).gradient_accumulation(accumulation).build();
        Map<String, Tensor> trainable = model.namedParameters();
        ParameterUpdater updater = c.sharded() && group.distributed()
                ? new ShardedUpdater(trainable, 0.9, 0.98, 1e-6, 0.1, group,
                        c.bf16Reduce() ? org.bytedeco.pytorch.global.torch.ScalarType.BFloat16 : org.bytedeco.pytorch.global.torch.ScalarType.Float)
                : new ReplicatedUpdater(new AdamW(trainable, 0.9, 0.98, 1e-6, 0.1), new ArrayList<>(trainable.values()), group);
        LrSchedule schedule = LrSchedule.create("noop", 3e-3, 0, 0, 0, STEPS, List.of(0.1, 0.4, 0.5));
        // the window is set: the default depends on the world size, and the runs must scale alike
        DynamicLossScaler scaler = c.overflow() ? DynamicLossScaler.enabled(INIT_SCALE, 100, world) : DynamicLossScaler.disabled();
        TrainStep step = new TrainStep(cfg, model, criterion, updater, schedule, group, Precision.FLOAT32, scaler);
        for (long s = 0; s < STEPS; s++) {
            data.step = s;
            data.calls = 0;
            data.attempt = 0;
            if (step.run(s, data) != null) continue;
            if (!c.overflow() || s != OVERFLOW_STEP) throw new IllegalStateException("step " + s + " was skipped");
            data.calls = 0;
            data.attempt = 1;
            if (step.run(s, data) == null) throw new IllegalStateException("step " + s + " was skipped twice");
        }
        if (c.overflow() && scaler.scale() != INIT_SCALE / 2) {
            throw new IllegalStateException(c.name() + ": rank " + group.rank() + " ends at loss scale " + scaler.scale()
                    + ", not " + INIT_SCALE / 2 + " after one overflow");
        }
        return model;
    }

    /** The case's model, initialised from torch's generator (seed it first). */
    static Lcm model(Case c) {
        return switch (c.family()) {
            case "base_lcm" -> mseModel(!c.fullBatch());
            case "two_tower_diffusion_lcm" -> twoTowerModel();
            case "one_tower_diffusion_lcm" -> oneTowerModel();
            default -> quantModel(c.family());
        };
    }

    static Lcm oneTowerModel() {
        OneTowerDiffusionLcmConfig c = OneTowerDiffusionLcmConfig.builder().sonar_embed_dim(DIM).sonar_normalizer_name("harness")
                .max_seq_len(64).model_dim(32).timestep_embed_dim(32)
                .lcm(TransformerConfig.builder().num_layers(1).num_attn_heads(2).ffn_inner_dim(64).build())
                .noise_scheduler(DdimSchedulerConfig.builder().num_diffusion_train_steps(100).build()).trained_with_cf_guidance(true).build();
        return ModelFamilies.of(c).buildOf(c, ParamFactory.cpu(), harnessNormalizer());
    }

    /** A Quant-LCM over a fixed quantizer of 2 codebooks x 8 units (drawn from a seeded java.util.Random). */
    static Lcm quantModel(String family) {
        QuantLcmConfig c = QuantLcmConfig.defaults(family)
                .withShape(DIM, 2, 8, 64, 32, 32, TransformerConfig.builder().num_layers(1).num_attn_heads(2).ffn_inner_dim(64).build())
                .withNormalizer("harness", true);
        Random r = new Random(5);
        float[] books = new float[2 * 8 * DIM];
        for (int i = 0; i < books.length; i++) books[i] = (float) (0.1 * r.nextGaussian() / (1 + i / (8 * DIM)));
        return new QuantLcm(ParamFactory.cpu(), c, harnessNormalizer(), Tensors.floats(books, 2, 8, DIM));
    }

    private static SonarNormalizer harnessNormalizer() {
        return new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(DIM));
    }

    static Lcm mseModel(boolean dropout) {
        double p = dropout ? 0.1 : 0.0;
        BaseLcmConfig c = BaseLcmConfig.builder().sonar_embed_dim(DIM).model_dim(32).max_seq_len(64)
                .lcm(TransformerConfig.builder().num_layers(2).num_attn_heads(2).ffn_inner_dim(64).dropout_p(p).final_dropout_p(p).build())
                .build();
        return ModelFamilies.of(c).buildOf(c, ParamFactory.cpu(), null);
    }

    static Lcm twoTowerModel() {
        TransformerConfig.Builder tower = TransformerConfig.builder().num_layers(1).num_attn_heads(2).ffn_inner_dim(64);
        TwoTowerDiffusionLcmConfig c = TwoTowerDiffusionLcmConfig.builder().sonar_embed_dim(DIM).sonar_normalizer_name("harness")
                .max_seq_len(64).model_dim(32).context_encoder(tower.pos_embedding_style("learned").build())
                .noise_scheduler(DdimSchedulerConfig.builder().num_diffusion_train_steps(100).build())
                .denoiser(DenoiserConfig.of(tower.pos_embedding_style("none").build(), 32)).trained_with_cf_guidance(true).build();
        SonarNormalizer n = new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(DIM));
        return ModelFamilies.of(c).buildOf(c, ParamFactory.cpu(), n);
    }

    /** Global micro-batch g of step s: 3 to 6 documents of 2 to 9 random concepts, the same in every process. */
    static List<Document> microBatch(long s, int g) {
        Random r = new Random(1000 * s + g);
        int docs = 3 + r.nextInt(4);
        List<Document> out = new ArrayList<>();
        for (int d = 0; d < docs; d++) {
            int len = 2 + r.nextInt(8);
            float[][] e = new float[len][DIM];
            for (float[] v : e) for (int j = 0; j < DIM; j++) v[j] = (float) (0.1 * r.nextGaussian());
            out.add(new Document("s" + s + "g" + g + "d" + d, null, e));
        }
        return out;
    }

    /** Rank r's micro-batches: r, r + W, ... of each step's global batch, or (one process, full batch) all at once. */
    static final class FixedBatches implements BatchSource {
        private final Case c;
        private final int rank, world;
        long step;
        int calls;
        int attempt;    // 1: the retry of a skipped step reads other batches, as the trainer reads the next ones
        int lastGlobal; // the global micro-batch index last handed out

        FixedBatches(Case c, int rank, int world) {
            this.c = c;
            this.rank = rank;
            this.world = world;
        }

        @Override
        public List<Document> next() {
            if (c.fullBatch() && world == 1) {
                List<Document> all = new ArrayList<>();
                for (int g = 0; g < c.micro(); g++) all.addAll(microBatch(step, g));
                return all;
            }
            lastGlobal = (calls++) * world + rank;
            return microBatch(step + 1000L * attempt, lastGlobal);
        }

        @Override
        public boolean restartedPass() {
            return false;
        }
    }
}
