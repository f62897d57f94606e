package dev.lcm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lcm4j.cli.Main;
import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.torch.TorchRuntime;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sharded {@code ./lcm evaluate} in real worker JVMs writes what one process writes: lcm_generation (sampled, so the
 * per-sample seeds are in play) and lcm_next_sentence on a tiny trained model, 10 samples in 4 batches of 3 dealt to 2
 * shards. Once with {@code --launcher standalone --job_args '{"nshards": 2}'} (evaluate starts 2 workers), once as
 * the 2 tasks of an emulated {@code srun -n 2} step with {@code --launcher submitit}, resuming a dump whose
 * lcm_next_sentence result was deleted.
 */
@Tag("slow")
class ShardedEvaluateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GEN = "lcm_generation.prompt_len_2.max_gen_len_2";
    private static final String NEXT = "lcm_next_sentence.round_trip_false";
    @TempDir static Path tmp;
    static Path data, run, one, two;

    @BeforeAll
    static void setUp() throws Exception {
        TorchRuntime.init();
        data = tmp.resolve("synth");
        SyntheticData.write(data, "shardsynth", 40, 16, 7);
        System.setProperty("LCM_CARDS_PATH", data.toString());
        run = tmp.resolve("run");
        assertEquals(0, Main.execute("train", "+pretrain=mse", "++trainer.output_dir=" + run, "++trainer.model_arch=toy_base_lcm",
                "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, max_seq_len: 256, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64}}",
                "++trainer.training_data=[{name: shardsynth=train}]", "++trainer.validation_data=[]", "++trainer.dtype=torch.float32",
                "++trainer.num_lr_warmup_steps=1", "++trainer.max_steps=2", "++trainer.data_loading_config.max_tokens=200"));
        assertEquals(0, Main.execute("bank", "build", data.toString()));
        one = tmp.resolve("one");
        two = tmp.resolve("two");
        assertEquals(0, Main.execute(evaluate(one)));
        assertEquals(0, Main.execute(evaluate(two, "--launcher", "standalone", "--job_args", "{\"nshards\": 2}")));
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    /** The evaluation: no datacard names (worker JVMs do not see this JVM's LCM_CARDS_PATH property). */
    static String[] evaluate(Path dump, String... extra) {
        List<String> a = new ArrayList<>(List.of("evaluate", "--tasks", "lcm_generation,lcm_next_sentence", "--predictor", "base_lcm",
                "--model_card", run.toString(), "--dataset.parquet_path", data.resolve("split=train").toString(),
                "--dataset.source_column", "text_sentences_sonar_emb", "--dataset.source_text_column", "text_sentences",
                "--task_args", "{\"lcm_generation\": {\"prompt_len\": 2, \"max_gen_len\": 2}, \"lcm_next_sentence\": {\"round_trip\": false}}",
                "--decoder_config.decoder", "bank:" + data, "--sample_latent_variable", "true", "--lcm_temperature", "0.5",
                "--data_loading.max_samples", "10", "--data_loading.batch_size", "3", "--generator_batch_size", "2",
                "--show_progress", "false", "--dump_dir", dump.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void twoWorkerProcessesWriteWhatOneProcessWrites() throws Exception {
        assertEquals(10, lines(one.resolve("raw_results/" + GEN + "/" + GEN + ".json")).size(), "one raw line per sample");
        assertEquals(10, lines(one.resolve("raw_results/" + NEXT + "/" + NEXT + ".json")).size(), "one raw line per document");
        assertSameOutputs(one, two);
    }

    @Test
    void aShardedResumeInsideAnSrunStepRecomputesOnlyWhatIsMissing() throws Exception {
        Path resume = tmp.resolve("resume");
        copyTree(two, resume);
        Files.delete(resume.resolve("results/" + NEXT + ".json"));
        Files.delete(resume.resolve("raw_results/" + NEXT + "/" + NEXT + ".json"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<Process> tasks = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++) {
            List<String> cmd = new ArrayList<>(jvm());
            cmd.addAll(List.of(evaluate(resume, "--launcher", "submitit")));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("srun" + rank + ".log").toFile());
            Map<String, String> env = pb.environment();
            for (String k : List.of("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE")) env.remove(k);
            // what srun sets for each task of a 2-task step (MASTER_* as a job script exports them)
            env.putAll(Map.of("SLURM_PROCID", String.valueOf(rank), "SLURM_NTASKS", "2", "SLURM_STEP_ID", "0", "SLURM_JOB_ID", "4242",
                    "SLURM_LOCALID", String.valueOf(rank), "SLURM_JOB_NODELIST", "localhost", "MASTER_ADDR", "127.0.0.1",
                    "MASTER_PORT", String.valueOf(port), "LCM_NUM_THREADS", "1", "OMP_NUM_THREADS", "1"));
            tasks.add(pb.start());
        }
        for (int rank = 0; rank < 2; rank++) {
            Process p = tasks.get(rank);
            boolean done = p.waitFor(300, TimeUnit.SECONDS);
            if (!done) tasks.forEach(Process::destroyForcibly);
            String log = Files.readString(tmp.resolve("srun" + rank + ".log"));
            assertTrue(done, "task " + rank + " did not finish: " + log);
            assertEquals(0, p.exitValue(), "task " + rank + ": " + log);
        }
        String log0 = Files.readString(tmp.resolve("srun0.log"));
        assertTrue(log0.contains(GEN + " already done"), log0);
        assertTrue(log0.contains("rank 0 of 2 joined the process group") && log0.contains("(slurm)"), log0);
        assertTrue(!Files.readString(tmp.resolve("srun1.log")).contains("results in"), "only rank 0 reports");
        // the recomputed run equals the single process's, file for file; the metrics log got one more line, for it
        for (String f : List.of("results/" + NEXT + ".json", "raw_results/" + NEXT + "/" + NEXT + ".json", "results/" + GEN + ".json")) {
            assertEquals(Files.readString(one.resolve(f)), Files.readString(resume.resolve(f)), f);
        }
        List<JsonNode> log = withoutKeys(lines(resume.resolve("metrics.eval.jsonl")), "created_at");
        List<JsonNode> ref = withoutKeys(lines(one.resolve("metrics.eval.jsonl")), "created_at");
        assertEquals(3, log.size());
        assertEquals(ref.get(1), log.get(2));
        assertEquals(2, lines(resume.resolve("metadata.jsonl")).size(), "one metadata line per invocation");
    }

    /** Same files under results/ and raw_results/ (byte for byte), metrics and metadata lines (but for times and the command), TensorBoard scalars. */
    static void assertSameOutputs(Path a, Path b) throws IOException {
        for (String dir : List.of("results", "raw_results")) {
            List<Path> fa = files(a.resolve(dir)), fb = files(b.resolve(dir));
            assertEquals(fa.stream().map(p -> a.relativize(p).toString()).toList(), fb.stream().map(p -> b.relativize(p).toString()).toList());
            for (int i = 0; i < fa.size(); i++) assertEquals(Files.readString(fa.get(i)), Files.readString(fb.get(i)), fa.get(i).toString());
        }
        assertEquals(withoutKeys(lines(a.resolve("metrics.eval.jsonl")), "created_at"), withoutKeys(lines(b.resolve("metrics.eval.jsonl")), "created_at"));
        assertEquals(withoutKeys(lines(a.resolve("metadata.jsonl")), "timestamp", "command"), withoutKeys(lines(b.resolve("metadata.jsonl")), "timestamp", "command"));
        List<String> sa = scalars(a.resolve("tb")), sb = scalars(b.resolve("tb"));
        assertTrue(sa.size() >= 6, "TensorBoard has the runs' metrics: " + sa);
        assertEquals(sa, sb);
    }

    static List<JsonNode> lines(Path f) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(f)) if (!l.isBlank()) out.add(JSON.readTree(l));
        return out;
    }

    static List<JsonNode> withoutKeys(List<JsonNode> nodes, String... keys) {
        for (JsonNode n : nodes) for (String k : keys) ((ObjectNode) n).remove(k);
        return nodes;
    }

    static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** "tag=value@step" of every scalar in the event files under {@code dir}: TFRecord frames around Event protobufs. */
    static List<String> scalars(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        for (Path f : files(dir)) {
            ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
            while (buf.remaining() > 0) {
                int len = (int) buf.getLong();
                buf.getInt();
                byte[] event = new byte[len];
                buf.get(event);
                buf.getInt();
                long step = 0;
                String tagValue = null;
                ByteBuffer e = ByteBuffer.wrap(event).order(ByteOrder.LITTLE_ENDIAN);
                while (e.remaining() > 0) {
                    long key = varint(e);
                    int field = (int) (key >>> 3), wire = (int) (key & 7);
                    if (field == 2 && wire == 0) step = varint(e);
                    else if (field == 5 && wire == 2) tagValue = summaryValue(slice(e));
                    else skip(e, wire);
                }
                if (tagValue != null) out.add(tagValue + "@" + step);
            }
        }
        return out;
    }

    private static String summaryValue(ByteBuffer summary) {
        ByteBuffer value = null;
        while (summary.remaining() > 0) {
            long key = varint(summary);
            if ((key >>> 3) == 1 && (key & 7) == 2) value = slice(summary);
            else skip(summary, (int) (key & 7));
        }
        String tag = null;
        float v = Float.NaN;
        while (value != null && value.remaining() > 0) {
            long key = varint(value);
            int field = (int) (key >>> 3), wire = (int) (key & 7);
            if (field == 1 && wire == 2) tag = StandardCharsets.UTF_8.decode(slice(value)).toString();
            else if (field == 2 && wire == 5) v = value.getFloat();
            else skip(value, wire);
        }
        return tag + "=" + v;
    }

    private static ByteBuffer slice(ByteBuffer b) {
        int n = (int) varint(b);
        ByteBuffer s = b.slice(b.position(), n).order(ByteOrder.LITTLE_ENDIAN);
        b.position(b.position() + n);
        return s;
    }

    private static void skip(ByteBuffer b, int wire) {
        switch (wire) {
            case 0 -> varint(b);
            case 1 -> b.position(b.position() + 8);
            case 2 -> slice(b);
            case 5 -> b.position(b.position() + 4);
            default -> throw new IllegalStateException("wire type " + wire);
        }
    }

    private static long varint(ByteBuffer b) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            byte x = b.get();
            v |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) return v;
        }
    }

    /** The command that starts the CLI in a JVM like this one (its java, JVM options and class path). */
    static List<String> jvm() {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-agentlib") || a.startsWith("-javaagent") || a.startsWith("-Xrunjdwp")) continue;
            cmd.add(a);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.lcm4j.cli.Main"));
        return cmd;
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }
}
