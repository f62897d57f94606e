package dev.lcm4j.models.linear;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.cli.Main;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetReader;
import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.io.Npy;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.testing.Cli;
import dev.lcm4j.torch.TorchRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model family that ships only with the tests, registered with one line, trains with its own recipe and criterion,
 * predicts, generates (with its own sampling option) and is evaluated through lcm4j's generic trainer, generator and
 * evaluator. Every number is checked against the affine map computed here from the weights in model.pt.
 */
class LinearFamilyTest {
    private static final int DIM = 16;
    @TempDir static Path tmp;
    static Path data, recipes, run;

    @BeforeAll
    static void setUp() throws IOException {
        TorchRuntime.init();
        ModelFamilies.register(LinearLcmFamily.INSTANCE);   // the family's one registration line
        data = tmp.resolve("synth");
        SyntheticData.write(data, "linsynth", 40, DIM, 5);
        System.setProperty("LCM_CARDS_PATH", data.toString());
        // the shipped recipes plus the family's own, as a user with a plug-in family would keep them
        recipes = tmp.resolve("recipes");
        copyTree(Path.of("recipes"), recipes);
        Files.writeString(recipes.resolve("train/pretrain/linear.yaml"), """
                # @package trainer
                _trainer_: %s
                model_arch: toy_linear_lcm
                criterion:
                  name: %s
                lr: 0.05
                num_lr_warmup_steps: 1
                dtype: torch.float32
                data_loading_config:
                  max_tokens: 200
                """.formatted(LinearLcmFamily.TRAINER, LinearLcmFamily.CRITERION));
        run = tmp.resolve("run");
        assertEquals(0, Main.execute("train", "+pretrain=linear", "--recipes", recipes.toString(), "++trainer.output_dir=" + run,
                "++trainer.training_data=[{name: linsynth=train}]", "++trainer.validation_data=[{name: linsynth=validation}]",
                "++trainer.max_steps=30", "++trainer.checkpoint_every_n_steps=30", "++trainer.save_model_every_n_steps=30",
                "++trainer.validate_every_n_steps=30", "++trainer.publish_metrics_every_n_steps=1"));
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    @Test
    void trainsWithItsOwnRecipeAndCriterion() throws IOException {
        List<Double> losses = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonNode n = json.readTree(line);
            if (n.path("name").asText("").equals("Train") || line.contains("\"Train\"")) losses.add(n.path("loss").asDouble(Double.NaN));
        }
        assertEquals(30, losses.size(), "one train line per step");
        assertTrue(losses.get(29) < 0.6 * losses.get(0), "loss falls: " + losses.get(0) + " -> " + losses.get(29));
        String card = Files.readString(run.resolve("model_card.yaml"));
        assertTrue(card.contains("model_family: linear_lcm") && card.contains("model_arch: toy_linear_lcm"), card);
    }

    /** The family has no transformer layers: {@code trainer.activation_checkpointing} would do nothing, so it is refused. */
    @Test
    void activationCheckpointingIsRefusedByName() {
        Path out = tmp.resolve("checkpointed_run");
        Cli.Outcome o = Cli.exec("train", "+pretrain=linear", "--recipes", recipes.toString(), "++trainer.output_dir=" + out,
                "++trainer.training_data=[{name: linsynth=train}]", "++trainer.max_steps=2",
                "++trainer.activation_checkpointing=true");
        assertTrue(o.code() != 0, "refused");
        assertTrue(o.err().contains("trainer.activation_checkpointing") && o.err().contains("linear_lcm")
                && o.err().strip().lines().count() == 1, o.err());
        assertTrue(!Files.exists(out), "nothing written");
    }

    @Test
    void predictsTheAffineMapOfItsWeights() throws IOException {
        float[] x = new float[2 * 4 * DIM];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.cos(0.3 * i);
        Path in = tmp.resolve("in.npy"), out = tmp.resolve("pred.npy");
        Npy.write(in, Npy.Array.ofFloats(x, 2, 4, DIM));
        assertEquals(0, Main.execute("predict", "--model_card", run.toString(), "--input", in.toString(), "--output", out.toString()));
        float[] got = Npy.read(out).toFloatArray();
        Affine f = Affine.of(run);
        for (int row = 0; row < 8; row++) {
            double[] want = f.apply(x, row * DIM);
            for (int j = 0; j < DIM; j++) assertEquals(want[j], got[row * DIM + j], 1e-4);
        }
    }

    @Test
    void generatesByRollingTheMapOutWithItsOwnSamplingOption() throws IOException {
        float[] x = new float[2 * DIM];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(0.7 * i);
        Path in = tmp.resolve("prompt.npy");
        Npy.write(in, Npy.Array.ofFloats(x, 1, 2, DIM));
        Path plain = tmp.resolve("gen.npy");
        assertEquals(0, Main.execute("generate", "--model_card", run.toString(), "--input", in.toString(), "--output", plain.toString(),
                "--max_gen_len", "3"));
        float[] got = Npy.read(plain).toFloatArray();
        assertEquals(5 * DIM, got.length, "prompt of 2 + 3 generated");
        Affine f = Affine.of(run);
        float[] prev = java.util.Arrays.copyOfRange(x, DIM, 2 * DIM);
        for (int k = 0; k < 3; k++) {
            double[] want = f.apply(prev, 0);
            for (int j = 0; j < DIM; j++) assertEquals(want[j], got[(2 + k) * DIM + j], 1e-4, "generated concept " + k);
            prev = java.util.Arrays.copyOfRange(got, (2 + k) * DIM, (3 + k) * DIM);
        }
        // the family's own option, through the generic flag: seeded noise, reproducible
        Path a = tmp.resolve("noisy_a.npy"), b = tmp.resolve("noisy_b.npy");
        for (Path p : List.of(a, b)) {
            assertEquals(0, Main.execute("generate", "--model_card", run.toString(), "--input", in.toString(), "--output", p.toString(),
                    "--max_gen_len", "3", "--seed", "3", "--sampling_option", "noise_scale=0.5"));
        }
        assertArrayEquals(Npy.read(a).toFloatArray(), Npy.read(b).toFloatArray());
        float[] noisy = Npy.read(a).toFloatArray();
        assertTrue(Math.abs(noisy[2 * DIM] - got[2 * DIM]) > 1e-3 || Math.abs(noisy[2 * DIM + 1] - got[2 * DIM + 1]) > 1e-3,
                "noise_scale changes the output");
        // options the family does not have are refused by name, never ignored
        String err = Cli.exec("generate", "--model_card", run.toString(), "--input", in.toString(), "--output", tmp.resolve("x.npy").toString(),
                "--guidance_scale", "3").err();
        assertTrue(err.contains("error: ") && err.contains("guidance_scale") && err.contains("noise_scale"), err);
        assertTrue(!Files.exists(tmp.resolve("x.npy")));
    }

    @Test
    void evaluatesThroughTheGenericEvaluator() throws IOException {
        Path dump = tmp.resolve("eval");
        assertEquals(0, Main.execute("evaluate", "--predictor", "linear_lcm", "--model_card", run.toString(),
                "--tasks", "lcm_next_sentence", "--dataset.name", "linsynth=validation", "--task_args", "{\"round_trip\": false}",
                "--dump_dir", dump.toString()));
        double l2 = new ObjectMapper().readTree(dump.resolve("results/lcm_next_sentence.json").toFile()).path("results").path("l2").asDouble();
        // independent: the mean over every position n >= 1 of |W x_{n-1} + b - x_n|, from the parquet and model.pt
        Dataset ds = DatacardRegistry.load(List.of(data)).resolve("linsynth=validation");
        Affine f = Affine.of(run);
        double sum = 0;
        int count = 0;
        for (Path file : ds.files()) {
            for (Document d : LcmParquetReader.readAll(file, ds.columns(), DIM)) {
                float[][] e = d.embeddings();
                for (int n = 1; n < e.length; n++) {
                    double[] p = f.apply(e[n - 1], 0);
                    double sq = 0;
                    for (int j = 0; j < DIM; j++) sq += (p[j] - e[n][j]) * (p[j] - e[n][j]);
                    sum += Math.sqrt(sq);
                    count++;
                }
            }
        }
        assertTrue(count > 10, "validation positions: " + count);
        assertEquals(sum / count, l2, 1e-4);
    }

    /** W and b read from the trained model.pt, applied in double precision. */
    record Affine(float[] w, float[] b) {
        static Affine of(Path run) {
            Map<String, StoredTensor> st = Checkpoints.readState(run.resolve("checkpoints/step_30/model.pt"));
            return new Affine(st.get("proj.weight").toFloatArray(), st.get("proj.bias").toFloatArray());
        }

        double[] apply(float[] x, int offset) {
            double[] y = new double[DIM];
            for (int i = 0; i < DIM; i++) {
                double s = b[i];
                for (int j = 0; j < DIM; j++) s += (double) w[i * DIM + j] * x[offset + j];
                y[i] = s;
            }
            return y;
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }
}
