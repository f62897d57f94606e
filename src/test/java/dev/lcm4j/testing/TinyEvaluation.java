package dev.lcm4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lcm4j.cli.Main;
import dev.lcm4j.data.SyntheticData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The evaluation the sharded-evaluation tests run ({@code ShardedEvaluateTest} in worker JVMs, {@code SlurmClusterTest}
 * as a SLURM job) and the comparison of its output with a single process's: lcm_generation (sampled, so the per-sample
 * seeds are in play) and lcm_next_sentence on a tiny trained base LCM, 10 samples in 4 batches of 3.
 */
public final class TinyEvaluation {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String GEN = "lcm_generation.prompt_len_2.max_gen_len_2";
    public static final String NEXT = "lcm_next_sentence.round_trip_false";

    private TinyEvaluation() {
    }

    /**
     * Writes a synthetic dataset {@code name} (40 documents, 16-d concepts) into {@code data}, trains a one-layer base
     * LCM on it for 2 steps into {@code run} and builds the dataset's sentence bank, all in this JVM.
     */
    public static void build(Path data, String name, Path run) {
        SyntheticData.write(data, name, 40, 16, 7);
        // the datacard is found by name only while training; the evaluation names no card
        String old = System.getProperty("LCM_CARDS_PATH");
        System.setProperty("LCM_CARDS_PATH", data.toString());
        try {
            assertEquals(0, Main.execute("train", "+pretrain=mse", "++trainer.output_dir=" + run, "++trainer.model_arch=toy_base_lcm",
                    "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, max_seq_len: 256, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64}}",
                    "++trainer.training_data=[{name: " + name + "=train}]", "++trainer.validation_data=[]", "++trainer.dtype=torch.float32",
                    "++trainer.num_lr_warmup_steps=1", "++trainer.max_steps=2", "++trainer.data_loading_config.max_tokens=200"));
            assertEquals(0, Main.execute("bank", "build", data.toString()));
        } finally {
            if (old == null) System.clearProperty("LCM_CARDS_PATH");
            else System.setProperty("LCM_CARDS_PATH", old);
        }
    }

    /** The evaluation's command line (no datacard names: worker JVMs and SLURM tasks do not see this JVM's properties). */
    public static List<String> evaluate(Path data, Path run, Path dump, String... extra) {
        List<String> a = new ArrayList<>(List.of("evaluate", "--tasks", "lcm_generation,lcm_next_sentence", "--predictor", "base_lcm",
                "--model_card", run.toString(), "--dataset.parquet_path", data.resolve("split=train").toString(),
                "--dataset.source_column", "text_sentences_sonar_emb", "--dataset.source_text_column", "text_sentences",
                "--task_args", "{\"lcm_generation\": {\"prompt_len\": 2, \"max_gen_len\": 2}, \"lcm_next_sentence\": {\"round_trip\": false}}",
                "--decoder_config.decoder", "bank:" + data, "--sample_latent_variable", "true", "--lcm_temperature", "0.5",
                "--data_loading.max_samples", "10", "--data_loading.batch_size", "3", "--generator_batch_size", "2",
                "--show_progress", "false", "--dump_dir", dump.toString()));
        a.addAll(List.of(extra));
        return a;
    }

    /** Same files under results/ and raw_results/ (byte for byte), metrics and metadata lines (but for times and the command), TensorBoard scalars. */
    public static void assertSameOutputs(Path a, Path b) throws IOException {
        for (String dir : List.of("results", "raw_results")) {
            List<Path> fa = files(a.resolve(dir)), fb = files(b.resolve(dir));
            assertEquals(fa.stream().map(p -> a.relativize(p).toString()).toList(), fb.stream().map(p -> b.relativize(p).toString()).toList());
            // byte for byte: the raw .pt tensor dumps too, so a shard's concepts must survive the trip to rank 0 exactly
            for (int i = 0; i < fa.size(); i++) {
                Path f = fa.get(i);
                if (f.toString().endsWith(".pt")) org.junit.jupiter.api.Assertions.assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(fb.get(i)), f.toString());
                else assertEquals(Files.readString(f), Files.readString(fb.get(i)), f.toString());
            }
        }
        assertEquals(withoutKeys(lines(a.resolve("metrics.eval.jsonl")), "created_at"), withoutKeys(lines(b.resolve("metrics.eval.jsonl")), "created_at"));
        assertEquals(withoutKeys(lines(a.resolve("metadata.jsonl")), "timestamp", "command"), withoutKeys(lines(b.resolve("metadata.jsonl")), "timestamp", "command"));
        List<String> sa = scalars(a.resolve("tb")), sb = scalars(b.resolve("tb"));
        assertTrue(sa.size() >= 6, "TensorBoard has the runs' metrics: " + sa);
        assertEquals(sa, sb);
    }

    public static List<JsonNode> lines(Path f) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(f)) if (!l.isBlank()) out.add(JSON.readTree(l));
        return out;
    }

    public static List<JsonNode> withoutKeys(List<JsonNode> nodes, String... keys) {
        for (JsonNode n : nodes) for (String k : keys) ((ObjectNode) n).remove(k);
        return nodes;
    }

    public static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** "tag=value@step" of every scalar in the event files under {@code dir}: TFRecord frames around Event protobufs. */
    public static List<String> scalars(Path dir) throws IOException {
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
}
