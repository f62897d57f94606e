package dev.lcm4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.testing.Cli;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code trainer.keep_best_checkpoint} and {@code trainer.early_stopping_patience}, judged from the run's own metrics log. */
@Tag("slow")
class BestCheckpointTest {
    @TempDir static Path tmp;

    @BeforeAll
    static void setUp() {
        TorchRuntime.init();
        Path data = tmp.resolve("synth");
        dev.lcm4j.data.SyntheticData.write(data, "tinysynth", 60, 16, 7);
        System.setProperty("LCM_CARDS_PATH", data.toString());
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    private static List<String> args(Path out, int steps, String lr, String... extra) {
        List<String> a = new ArrayList<>(TrainerTest.args(out, steps, "++trainer.validate_every_n_steps=1",
                "++trainer.checkpoint_every_n_steps=100", "++trainer.save_model_every_n_steps=100", "++trainer.keep_last_n_checkpoints=1",
                "++trainer.lr=" + lr, "++trainer.lr_schedule=noop"));
        a.addAll(List.of(extra));
        return a;
    }

    /** (step, validation loss) pairs of metrics.jsonl, in order. */
    private static List<double[]> validations(Path out) throws Exception {
        List<double[]> v = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            if (!line.contains("\"run\": \"Valid")) continue;
            v.add(new double[] {Double.parseDouble(line.replaceAll(".*\"step\": ([0-9]+).*", "$1")),
                    Double.parseDouble(line.replaceAll(".*\"loss\": ([^,}]+).*", "$1"))});
        }
        return v;
    }

    @Test
    void theModelCardPointsAtTheLowestValidationLossAndThatCheckpointSurvivesPruning() throws Exception {
        Path out = tmp.resolve("best");
        // a learning rate far too high for this model: the validation loss falls, then climbs back
        assertEquals(0, TrainerTest.run(args(out, 14, "0.3", "++trainer.keep_best_checkpoint=true", "++trainer.num_lr_warmup_steps=1")));
        List<double[]> v = validations(out);
        assertEquals(14, v.size());
        double[] lowest = v.get(0);
        for (double[] x : v) if (x[1] < lowest[1]) lowest = x;
        long bestStep = (long) lowest[0];
        assertNotEquals(14, bestStep, "the run must overfit for this test to tell best from last: " + v.stream().map(x -> x[1]).toList());
        String card = Files.readString(out.resolve("model_card.yaml"));
        assertTrue(card.contains("checkpoints/step_" + bestStep + "/model.pt"), card);
        List<String> kept = Checkpointer.stepDirs(out.resolve("checkpoints")).stream().map(p -> p.getFileName().toString()).collect(Collectors.toList());
        assertEquals(List.of("step_" + bestStep, "step_14"), kept, "keep_last_n_checkpoints=1 plus the best");
    }

    @Test
    void trainingStopsAfterPatienceValidationsWithoutImprovementAndStaysStopped() throws Exception {
        Path out = tmp.resolve("patience");
        // a learning rate too small to change a float32 weight: every validation loss equals the first
        List<String> a = args(out, 30, "1e-12", "++trainer.early_stopping_patience=3", "++trainer.num_lr_warmup_steps=0");
        assertEquals(0, TrainerTest.run(a));
        List<double[]> v = validations(out);
        // step 1 sets the best; steps 2, 3 and 4 do not beat it; the run stops at step 4
        assertEquals(4, v.size(), v.stream().map(x -> x[0] + ":" + x[1]).toList().toString());
        for (double[] x : v) assertEquals(v.get(0)[1], x[1], 0.0);
        assertTrue(Files.isDirectory(out.resolve("checkpoints/step_4")));
        // resuming the stopped run trains no further
        assertEquals(0, TrainerTest.run(a));
        assertEquals(4, validations(out).size());
        assertFalse(Files.exists(out.resolve("checkpoints/step_5")));
    }

    @Test
    void bestCheckpointWithoutValidationDataIsRefusedByName() {
        Path out = tmp.resolve("novalid");
        List<String> a = new ArrayList<>(args(out, 4, "0.003", "++trainer.keep_best_checkpoint=true"));
        a.add("++trainer.validation_data=[]");
        Cli.assertUserError(Cli.exec(a), "trainer.keep_best_checkpoint", "validation_data");
        assertFalse(Files.exists(out));
    }
}
