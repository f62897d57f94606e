package dev.lcm4j.bench;

import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.models.ModelFamily;
import dev.lcm4j.models.ModelLoader;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.models.normalizer.SonarNormalizerConfig;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Autocast;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.train.AdamW;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Peak memory and step time of a training step with and without {@code trainer.activation_checkpointing}; the Java
 * half of {@code bench/run_activation_checkpointing.sh}, which starts one JVM per setting so that each peak (VmHWM of
 * /proc/self/status, the most resident memory the process ever had) belongs to one setting alone.
 *
 * <p>A step is what the trainer's step does for one micro-batch: the family's criterion (next_sentence_mse or
 * two_tower_diffusion_next_sent, reduction sum; bf16 autocast for {@code --dtype bf16}) on B documents x T random
 * concepts, backward of loss / #targets, AdamW. The model is a named arch with random init and the identity
 * normalizer, resized by {@code --set key.path=value}.
 *
 * <pre>
 * OMP_WAIT_POLICY=PASSIVE java -cp bench/target/classes:target/lcm4j.jar:target/lib/* \
 *     dev.lcm4j.bench.ActivationCheckpointBench --arch toy_base_lcm --batch 32 --seq 128 --checkpoint true \
 *     [--dtype fp32|bf16] [--steps 2] [--warmup 1] [--threads T] [--set lcm.num_layers=8 ...]
 * </pre>
 *
 * Prints one JSON line: peak RSS (MiB) after setup (model, optimizer, batch) and of the whole process, their
 * difference (what the steps added: activations, gradients and the AdamW moments created at the first step), the peak
 * of the timed steps alone (VmHWM reset after the warm-up), median ms/step and the first step's loss (equal with and
 * without checkpointing: same seed, same values).
 */
public final class ActivationCheckpointBench {
    public static void main(String[] args) throws IOException {
        String arch = "toy_base_lcm", dtype = "fp32";
        int batch = 32, seq = 128, steps = 2, warmup = 1, threads = Runtime.getRuntime().availableProcessors();
        boolean checkpoint = false;
        int interleave = 0;
        Map<String, Object> sets = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--arch" -> arch = args[++i];
                case "--dtype" -> dtype = args[++i];
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--seq" -> seq = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--checkpoint" -> checkpoint = Boolean.parseBoolean(args[++i]);
                case "--interleave" -> interleave = Integer.parseInt(args[++i]);
                case "--set" -> {
                    String kv = args[++i];
                    int eq = kv.indexOf('=');
                    if (eq < 0) throw new IllegalArgumentException("--set key=value, got " + kv);
                    sets.put(kv.substring(0, eq), GenerationBench.parseValue(kv.substring(eq + 1)));
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: --arch A --batch B"
                        + " --seq T --checkpoint true|false [--dtype fp32|bf16] [--steps N] [--warmup W] [--threads T] [--set k=v]");
            }
        }
        if (!dtype.equals("fp32") && !dtype.equals("bf16")) throw new IllegalArgumentException("--dtype fp32|bf16");
        boolean bf16 = dtype.equals("bf16");
        TorchRuntime.init();
        torch.set_num_threads(threads);
        torch.manual_seed(0);

        ModelFamily<?, ?, ?> family = ModelFamilies.arch(arch).modelFamily();
        boolean mse = family.name().equals("base_lcm");
        Map<String, Object> flat = new LinkedHashMap<>(sets);
        if (!mse) flat.putIfAbsent("trained_with_cf_guidance", true);
        Record config = ModelLoader.config(family.name(), arch, GenerationBench.nest(flat), "--arch " + arch);
        int dim = family.conceptDimOf(config);
        SonarNormalizer identity = new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(dim));
        Lcm model = family.buildOf(config, ParamFactory.cpu(), identity);
        int stacks = model.checkpointActivations(checkpoint);
        model.train(true);
        CriterionConfig cc = CriterionConfig.builder().name(mse ? "next_sentence_mse" : "two_tower_diffusion_next_sent")
                .compute_rmse(false).cf_guidance_probability(mse ? 0.0 : 0.15).build();
        Criterion criterion = family.criterionOf(cc, model);
        AdamW opt = new AdamW(model.namedParameters(), 0.9, 0.98, 1e-6, 0.1);
        Tensor seqs = torch.randn(batch, seq, dim).mul(Tensors.scalar(0.006));
        seqs.retainReference();
        long[] lengths = new long[batch];
        Arrays.fill(lengths, seq);
        EmbeddingsBatch data = new EmbeddingsBatch(seqs, lengths, null);
        if (interleave > 0) {
            interleavedTimes(model, criterion, opt, data, bf16, warmup, interleave, arch, flat);
            return;
        }
        long setupPeak = memoryKb("VmHWM");
        long stepsPeak = 0, rssAfterForward = 0, hwmAfterBackward = 0;

        List<Double> times = new ArrayList<>();
        double firstLoss = Double.NaN;
        for (int i = 0; i < warmup + steps; i++) {
            torch.manual_seed(100 + i);
            long t0 = System.nanoTime();
            try (PointerScope scope = new PointerScope()) {
                Criterion.Loss out;
                if (bf16) Autocast.enter();
                try {
                    out = criterion.loss(model, data);
                } finally {
                    if (bf16) Autocast.exit();
                }
                Tensor scaled = out.loss().div(Tensors.scalar(out.numTargets()));
                rssAfterForward = memoryKb("VmRSS");
                scaled.backward();
                hwmAfterBackward = memoryKb("VmHWM");
                if (i == 0) firstLoss = scaled.item_double();
            }
            opt.step(1e-4);
            opt.zeroGrad();
            if (i >= warmup) times.add((System.nanoTime() - t0) / 1e6);
            if (i == warmup - 1) resetPeak();
        }
        stepsPeak = warmup > 0 && canResetPeak ? memoryKb("VmHWM") : -1;
        long peak = Math.max(memoryKb("VmHWM"), highWater);
        times.sort(null);
        double median = times.isEmpty() ? Double.NaN : times.get((times.size() - 1) / 2);
        System.out.println(String.format(Locale.ROOT,
                "{\"arch\": \"%s\", \"sets\": \"%s\", \"dtype\": \"%s\", \"batch\": [%d, %d], \"checkpoint\": %b, \"stacks\": %d,"
                        + " \"params\": %d, \"threads\": %d, \"steps\": %d, \"warmup\": %d, \"setup_peak_rss_mib\": %.1f,"
                        + " \"peak_rss_mib\": %.1f, \"step_peak_over_setup_mib\": %.1f, \"timed_steps_peak_rss_mib\": %.1f,"
                        + " \"last_step_rss_after_forward_mib\": %.1f, \"last_step_peak_after_backward_mib\": %.1f,"
                        + " \"median_ms_per_step\": %.1f,"
                        + " \"ms_per_step\": %s, \"first_loss\": %.9g}",
                arch, flat, dtype, batch, seq, checkpoint, stacks, model.parameterCount(), torch.get_num_threads(), steps, warmup,
                setupPeak / 1024.0, peak / 1024.0, (peak - setupPeak) / 1024.0, stepsPeak / 1024.0,
                rssAfterForward / 1024.0, hwmAfterBackward / 1024.0, median, times, firstLoss));
    }

    /**
     * Time only (no memory figure): after {@code warmup} steps in each setting, {@code pairs} pairs of steps, one
     * without and one with checkpointing, alternating which comes first, in this one process. A load change on a
     * shared machine then hits both settings alike, which separate processes minutes apart cannot promise.
     */
    static void interleavedTimes(Lcm model, Criterion criterion, AdamW opt, EmbeddingsBatch data, boolean bf16, int warmup,
                                 int pairs, String arch, Map<String, Object> sets) {
        List<Double> off = new ArrayList<>(), on = new ArrayList<>();
        for (int i = 0; i < 2 * (warmup + pairs); i++) {
            int pair = i / 2;
            boolean ck = (i % 2 == 0) == (pair % 2 == 0);   // off, on | on, off | off, on ...
            model.checkpointActivations(ck);
            torch.manual_seed(100 + pair);
            long t0 = System.nanoTime();
            try (PointerScope scope = new PointerScope()) {
                if (bf16) Autocast.enter();
                Criterion.Loss out;
                try {
                    out = criterion.loss(model, data);
                } finally {
                    if (bf16) Autocast.exit();
                }
                out.loss().div(Tensors.scalar(out.numTargets())).backward();
            }
            opt.step(1e-4);
            opt.zeroGrad();
            double ms = (System.nanoTime() - t0) / 1e6;
            if (pair >= warmup) (ck ? on : off).add(ms);
        }
        off.sort(null);
        on.sort(null);
        double mOff = off.get((off.size() - 1) / 2), mOn = on.get((on.size() - 1) / 2);
        System.out.println(String.format(Locale.ROOT, "{\"arch\": \"%s\", \"sets\": \"%s\", \"interleaved_pairs\": %d,"
                + " \"median_ms_off\": %.1f, \"median_ms_on\": %.1f, \"time_ratio\": %.3f, \"ms_off\": %s, \"ms_on\": %s}",
                arch, sets, pairs, mOff, mOn, mOn / mOff, off, on));
    }

    private static long highWater;
    private static boolean canResetPeak;

    /**
     * Starts a new VmHWM window (Linux >= 4.0: "5" into /proc/self/clear_refs) so that the timed steps' own peak shows
     * apart from the first step's, which also allocates the AdamW moments; the process peak so far is kept.
     */
    static void resetPeak() throws IOException {
        highWater = Math.max(highWater, memoryKb("VmHWM"));
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            canResetPeak = true;
        } catch (IOException e) {
            canResetPeak = false;
        }
    }

    /** A field of /proc/self/status in kB (VmHWM: the peak resident set size so far). */
    static long memoryKb(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IllegalStateException(field + " not in /proc/self/status");
    }
}
