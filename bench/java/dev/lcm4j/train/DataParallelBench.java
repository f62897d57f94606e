package dev.lcm4j.train;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.config.TrainingConfig;
import dev.lcm4j.data.Document;
import dev.lcm4j.dist.DistributedEnvironment;
import dev.lcm4j.dist.DistributedGroup;
import dev.lcm4j.launch.LocalLauncher;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.models.baselcm.BaseLcmArchs;
import dev.lcm4j.models.baselcm.BaseLcmConfig;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;

/**
 * Data-parallel step time on one machine: the trainer's own TrainStep and updaters on toy_base_lcm (29.4M parameters)
 * with a global batch of 8 documents x 128 sentences x 1024, as 1 process or as 2 (Gloo on loopback, each with half
 * the batch and half the cores), replicated (allreduce after backward, or overlapped with backward by libtorch's DDP Reducer) or with
 * the sharded optimizer. The Java half of
 * {@code bench/run_distributed.sh}.
 *
 * <pre>
 * java -cp ... dev.lcm4j.train.DataParallelBench --nproc 1|2 --updater replicated|sharded|overlapped --steps N --warmup W
 * </pre>
 *
 * Prints one JSON line per run (rank 0): median ms/step, median communication ms/step and its share, optimizer
 * state bytes per rank and every rank's peak RSS.
 */
public final class DataParallelBench {
    static final int DOCS = 8, SEQ = 128, DIM = 1024;

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--worker")) {
            worker(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            return;
        }
        int nproc = 1, steps = 4, warmup = 1;
        String updater = "replicated";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--nproc" -> nproc = Integer.parseInt(args[++i]);
                case "--updater" -> updater = args[++i];
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / nproc);
        int code = LocalLauncher.forMainClass(new LocalLauncher.Options(nproc, 0, 0, threads), DataParallelBench.class.getName(), System.out)
                .run(List.of("--worker", updater, String.valueOf(steps), String.valueOf(warmup)));
        System.exit(code);
    }

    static void worker(String kind, int steps, int warmup) throws Exception {
        TorchRuntime.init();
        try (DistributedGroup group = DistributedGroup.join(DistributedEnvironment.fromEnvironment(),
                new DistributedGroup.Timeouts(Duration.ofSeconds(120), Duration.ofSeconds(600)))) {
            manual_seed(1);
            BaseLcmConfig c = BaseLcmArchs.all().get("toy_base_lcm").get();
            Lcm model = ModelFamilies.of(c).buildOf(c, ParamFactory.cpu(), null);
            model.train(true);
            CriterionConfig cc = CriterionConfig.builder().name("next_sentence_mse").compute_rmse(false).build();
            Criterion criterion = ModelFamilies.of(model).criterionOf(cc, model);
            Map<String, Tensor> params = model.namedParameters();
            ParameterUpdater updater = switch (kind) {
                case "sharded" -> new ShardedUpdater(params, 0.9, 0.95, 1e-5, 0.1, group);
                case "overlapped" -> new OverlappedReducerUpdater(new AdamW(params, 0.9, 0.95, 1e-5, 0.1),
                        new ArrayList<>(params.values()), group.environment());
                case "replicated" -> new ReplicatedUpdater(new AdamW(params, 0.9, 0.95, 1e-5, 0.1), new ArrayList<>(params.values()), group);
                default -> throw new IllegalArgumentException("--updater replicated|sharded|overlapped, not " + kind);
            };
            TrainingConfig cfg = TrainingConfig.builder().output_dir("unused").criterion(cc).max_grad_norm(25).build();
            LrSchedule schedule = LrSchedule.create("noop", 4e-4, 0, 0, 0, 1000, List.of(0.1, 0.4, 0.5));
            TrainStep step = new TrainStep(cfg, model, criterion, updater, schedule, group, false);
            // this rank's share of the global batch: documents rank, rank + W, ...
            List<Document> mine = new ArrayList<>();
            Random r = new Random(7);
            for (int d = 0; d < DOCS; d++) {
                float[][] e = new float[SEQ][DIM];
                for (float[] v : e) for (int j = 0; j < DIM; j++) v[j] = (float) (0.006 * r.nextGaussian());
                if (d % group.worldSize() == group.rank()) mine.add(new Document("d" + d, null, e));
            }
            BatchSource source = new BatchSource() {
                public List<Document> next() { return mine; }
                public boolean restartedPass() { return false; }
            };
            double[] ms = new double[steps], comm = new double[steps];
            for (int s = 0; s < warmup + steps; s++) {
                group.barrier();
                long t0 = System.nanoTime();
                TrainStep.Stats st = step.run(s, source);
                double took = (System.nanoTime() - t0) / 1e6;
                if (s >= warmup) {
                    ms[s - warmup] = took;
                    comm[s - warmup] = st.communicationSeconds() * 1e3;
                }
            }
            List<String> rss = group.allgatherStrings(String.valueOf(peakRssMb()));
            double checksum = 0; // the same after the same steps whichever updater: a check that they agree
            for (Tensor p : params.values()) checksum += p.abs().sum().item_double();
            if (group.isMain()) {
                double m = median(ms), c2 = median(comm);
                System.out.printf(Locale.ROOT, "{\"nproc\": %d, \"updater\": \"%s\", \"parameters\": %d, \"ms_per_step\": %.1f,"
                                + " \"communication_ms\": %.1f, \"communication_share\": %.3f, \"optimizer_state_mb_per_rank\": %.1f,"
                                + " \"peak_rss_mb\": %s, \"param_abs_sum\": %.6f, \"ms_per_step_all\": %s}%n",
                        group.worldSize(), kind, model.parameterCount(), m, c2, c2 / m, updater.optimizerStateBytes() / 1e6,
                        rss, checksum, Arrays.toString(ms));
            }
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Peak resident set size of this process (VmHWM), in MB. */
    static long peakRssMb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D+", "")) / 1024;
        }
        return -1;
    }
}
