package dev.lcm4j.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.cli.Main;
import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.io.Npy;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelCards;
import dev.lcm4j.models.ModelLoader;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcm;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two-tower model through the same CLI trainer as the MSE LCM: +pretrain=two_tower, resume, card, +finetune=two_tower. */
@Tag("slow")
class TwoTowerTrainerTest {
    @TempDir static Path tmp;
    static Path data, cards;

    @BeforeAll
    static void setUp() throws Exception {
        TorchRuntime.init();
        data = tmp.resolve("synth");
        SyntheticData.write(data, "ttsynth", 60, 16, 7);
        cards = tmp.resolve("cards");
        System.setProperty("LCM_CARDS_PATH", data.toString());
        // a two-tower model needs a normalizer of its data's dimension: fit one, as a user would
        assertEquals(0, Main.execute("fit-normalizer", "--ds", "ttsynth=train", "--save_path", cards.resolve("norm.pt").toString(),
                "--card_name", "ttsynth_norm"));
        System.setProperty("LCM_CARDS_PATH", data + ":" + cards);
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    static final String OVERRIDES = "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, max_seq_len: 256,"
            + " sonar_normalizer_name: ttsynth_norm, trained_with_cf_guidance: true, noise_scheduler: {num_diffusion_train_steps: 100},"
            + " context_encoder: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64},"
            + " denoiser: {num_layers: 2, num_attn_heads: 2, ffn_inner_dim: 64, timestep_embed_dim: 32}}";

    static List<String> args(Path out, int maxSteps, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "+pretrain=two_tower", "++trainer.output_dir=" + out,
                "++trainer.model_arch=toy_two_tower_diffusion_lcm", OVERRIDES,
                "++trainer.training_data=[{name: ttsynth=train}]", "++trainer.validation_data=[{name: ttsynth=validation}]",
                "++trainer.dtype=torch.float32", "++trainer.max_steps=" + maxSteps, "++trainer.num_lr_warmup_steps=2",
                "++trainer.lr=0.003", "++trainer.checkpoint_every_n_steps=2", "++trainer.save_model_every_n_steps=2",
                "++trainer.validate_every_n_steps=" + maxSteps, "++trainer.publish_metrics_every_n_steps=1",
                "++trainer.data_loading_config.max_tokens=300", "++trainer.keep_last_n_checkpoints=2"));
        a.addAll(List.of(extra));
        return a;
    }

    static int run(List<String> a) {
        return Main.execute(a.toArray(String[]::new));
    }

    static List<Double> metric(Path out, String run, String key) throws Exception {
        List<Double> v = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            if (line.contains("\"run\": \"" + run)) v.add(Double.parseDouble(line.replaceAll(".*\"" + key + "\": ([^,}]+).*", "$1")));
        }
        return v;
    }

    @Test
    void pretrainLossFallsCheckpointReloadsAndResumeIsIdentical() throws Exception {
        Path out = tmp.resolve("pre");
        assertEquals(0, run(args(out, 16)));
        List<Double> loss = metric(out, "Train", "loss");
        assertEquals(16, loss.size());
        double first = (loss.get(0) + loss.get(1)) / 2, last = (loss.get(14) + loss.get(15)) / 2;
        assertTrue(last < 0.85 * first, "diffusion loss should fall: " + loss);
        assertTrue(metric(out, "Train", "unnormalized_reconstruction_loss").stream().allMatch(x -> x > 0 && Double.isFinite(x)));
        String card = Files.readString(out.resolve("model_card.yaml"));
        assertTrue(card.contains("model_family: two_tower_diffusion_lcm"), card);

        // the card reloads as a two-tower model with the checkpoint's parameters
        Map<String, StoredTensor> saved = dev.lcm4j.models.Checkpoints.readState(out.resolve("checkpoints/step_16/model.pt"));
        assertTrue(saved.containsKey("denoiser.layers.1.modulator.fc.weight"));
        Lcm m = ModelLoader.load(ModelCards.resolve(out.toString()), ParamFactory.cpu(), true);
        assertInstanceOf(TwoTowerDiffusionLcm.class, m);
        for (var e : m.namedParameters().entrySet()) {
            assertArrayEquals(saved.get(e.getKey()).toFloatArray(), Tensors.toFloats(e.getValue()), 0f, e.getKey());
        }
        // training moved the zero-initialised modulators
        assertTrue(m.namedParameters().get("denoiser.layers.0.modulator.fc.weight").abs().max().item_double() > 0);

        // resume: stop at step 3, run again to 6, identical to a straight run (data order, noise, steps, dropout)
        Path straight = tmp.resolve("straight"), resumed = tmp.resolve("resumed");
        assertEquals(0, run(args(straight, 6)));
        assertEquals(0, run(args(resumed, 6, "--stop_after_steps=3")));
        assertEquals(0, run(args(resumed, 6)));
        Map<String, StoredTensor> a = dev.lcm4j.models.Checkpoints.readState(straight.resolve("checkpoints/step_6/model.pt"));
        Map<String, StoredTensor> b = dev.lcm4j.models.Checkpoints.readState(resumed.resolve("checkpoints/step_6/model.pt"));
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);

        // generate and predict run on the trained model
        Path prompts = data.resolve("split=validation/part-0.parquet");
        Path gen = tmp.resolve("gen.npy"), pred = tmp.resolve("pred.npy");
        assertEquals(0, Main.execute("generate", "--model_card", out.toString(), "--input", prompts.toString(), "--output", gen.toString(),
                "--prompt_len", "2", "--max_gen_len", "3", "--inference_timesteps", "10", "--guidance_scale", "2", "--guidance_rescale", "0.7",
                "--initial_noise_scale", "0.6", "--seed", "3"));
        assertArrayEquals(new long[] {6, 5, 16}, dev.lcm4j.io.Npy.read(gen).shape());
        assertEquals(0, Main.execute("predict", "--model_card", out.toString(), "--input", prompts.toString(), "--output", pred.toString(),
                "--inference_timesteps", "5"));
        assertTrue(Files.isRegularFile(pred));

        // finetune from the registered card with the two-tower finetuning recipe (supervised criterion)
        // a card's paths are relative to its file: a copy registered elsewhere points at the run's checkpoint
        String named = card.replace("name: on_the_fly_lcm", "name: my_two_tower")
                .replaceAll("checkpoint: (.*)", "checkpoint: " + out.toString().replace("\\", "/") + "/$1");
        Files.writeString(cards.resolve("mine.yaml"), named);
        Path ft = tmp.resolve("ft");
        List<String> f = new ArrayList<>(List.of("train", "+finetune=two_tower", "++trainer.output_dir=" + ft,
                "++trainer.model_config_or_name=my_two_tower", "++trainer.criterion.name=two_tower_diffusion_next_sent",
                "++trainer.training_data=[{name: ttsynth=train}]", "++trainer.validation_data=[]",
                "++trainer.dtype=torch.bfloat16", "++trainer.max_steps=2", "++trainer.num_lr_warmup_steps=1",
                "++trainer.checkpoint_every_n_steps=1", "++trainer.save_model_every_n_steps=1",
                "++trainer.data_loading_config.max_tokens=300"));
        assertEquals(0, run(f));
        assertTrue(metric(ft, "Train", "loss").stream().allMatch(Double::isFinite), "bf16 autocast losses are finite");
        assertTrue(Files.readString(ft.resolve("model_card.yaml")).contains("finetuned_from: my_two_tower"));
    }

    @Test
    void supervisedFinetuningCountsOnlyTargetSentences() throws Exception {
        Path sup = tmp.resolve("sup");
        dev.lcm4j.data.DataColumns cols = dev.lcm4j.data.DataColumns.sonar("prompt_sentences").withTarget("answer_sentences_sonar_emb", "answer_sentences");
        java.util.Random r = new java.util.Random(5);
        int validationAnswers = 0;
        for (String split : List.of("train", "validation")) {
            List<dev.lcm4j.data.Document> docs = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int np = 2 + r.nextInt(4), na = 1 + r.nextInt(3);
                float[][] p = new float[np][16], a = new float[na][16];
                for (float[] v : p) for (int j = 0; j < 16; j++) v[j] = (float) r.nextGaussian() * 0.01f;
                for (float[] v : a) for (int j = 0; j < 16; j++) v[j] = (float) r.nextGaussian() * 0.01f;
                if (split.equals("validation")) validationAnswers += na;
                docs.add(new dev.lcm4j.data.Document(split + i, java.util.Collections.nCopies(np, "p"), p, java.util.Collections.nCopies(na, "a"), a, null));
            }
            dev.lcm4j.data.LcmParquetWriter.write(sup.resolve("split=" + split).resolve("part-0.parquet"), cols, 16, 4, docs);
        }
        Files.writeString(sup.resolve("cards.yaml"), String.join("\n", "name: supdata2t", "parquet_path:", "  local: .",
                "source_column: prompt_sentences_sonar_emb", "source_text_column: prompt_sentences",
                "target_column: answer_sentences_sonar_emb", "target_text_column: answer_sentences", ""));
        System.setProperty("LCM_CARDS_PATH", data + ":" + cards + ":" + sup);
        try {
            Path out = tmp.resolve("supft");
            List<String> a = new ArrayList<>(List.of("train", "+finetune=two_tower", "++trainer.output_dir=" + out,
                    "~trainer.model_config_or_name", "++trainer.model_arch=toy_two_tower_diffusion_lcm", OVERRIDES,
                    "++trainer.training_data=[{name: supdata2t=train}]", "++trainer.validation_data=[{name: supdata2t=validation}]",
                    "++trainer.dtype=torch.float32", "++trainer.max_steps=3", "++trainer.num_lr_warmup_steps=1",
                    "++trainer.checkpoint_every_n_steps=3", "++trainer.save_model_every_n_steps=3", "++trainer.validate_every_n_steps=3",
                    "++trainer.data_loading_config.max_tokens=40"));
            assertEquals(0, run(a));
            // the finetuning criterion denoises target sentences only: validation covers every document once
            String valid = Files.readAllLines(out.resolve("metrics.jsonl")).stream().filter(l -> l.contains("Valid | supdata2t")).findFirst().orElseThrow();
            assertEquals(validationAnswers, (int) Double.parseDouble(valid.replaceAll(".*\"num_target_elements\": ([^,}]+).*", "$1")), valid);
            assertTrue(Files.readString(out.resolve("config_logs/all_config.yaml")).contains("two_tower_diffusion_next_sent_finetuning"));
        } finally {
            System.setProperty("LCM_CARDS_PATH", data + ":" + cards);
        }
    }

    @Test
    void mismatchedRecipesAndGuidanceSettingsFailWithOneLine() {
        // guidance probability 0 on a model configured for guidance
        int code = run(args(tmp.resolve("bad1"), 2, "++trainer.criterion.cf_guidance_probability=0.0"));
        assertEquals(2, code);
        assertFalse(Files.exists(tmp.resolve("bad1")), "nothing is written for a refused run");
        // the two-tower recipe with an MSE arch
        assertEquals(2, run(List.of("train", "+pretrain=two_tower", "++trainer.output_dir=" + tmp.resolve("bad2"),
                "++trainer.model_arch=toy_base_lcm")));
        // the MSE recipe with a two-tower arch
        assertEquals(2, run(List.of("train", "+pretrain=mse", "++trainer.output_dir=" + tmp.resolve("bad3"),
                "++trainer.model_arch=toy_two_tower_diffusion_lcm")));
    }

    /** A run directory is self-contained: moved or copied it still loads, without the cards path, and never another file. */
    @Test
    void runDirectoriesCanMoveAndLoadOnlyTheirOwnFiles() throws Exception {
        Path out = tmp.resolve("where");
        assertEquals(0, run(args(out, 2)));
        String card = Files.readString(out.resolve("model_card.yaml"));
        assertFalse(card.contains(tmp.toString()), "the card names no absolute path: " + card);
        Path in = tmp.resolve("prompts.npy");
        float[] x = new float[2 * 3 * 16];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i) * 0.02f;
        Npy.write(in, Npy.Array.ofFloats(x, 2, 3, 16));
        Path before = tmp.resolve("before.npy"), after = tmp.resolve("after.npy");
        assertEquals(0, Main.execute("predict", "--model_card", out.toString(), "--input", in.toString(), "--output", before.toString()));

        Path moved = tmp.resolve("moved_run");
        Files.move(out, moved);
        System.clearProperty("LCM_CARDS_PATH"); // the normalizer card is not findable any more: its tensors are in model.pt
        try {
            assertEquals(0, Main.execute("predict", "--model_card", moved.toString(), "--input", in.toString(), "--output", after.toString()));
            assertArrayEquals(Npy.read(before).toFloatArray(), Npy.read(after).toFloatArray(), 0f, "the same model after the move");
            // a copy whose model.pt is damaged fails; it never loads the original's weights
            Path copy = tmp.resolve("copied_run");
            copyTree(moved, copy);
            Path pt = copy.resolve("checkpoints/step_2/model.pt");
            try (var ch = java.nio.channels.FileChannel.open(pt, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(ch.size() / 2);
            }
            dev.lcm4j.testing.Cli.Outcome o = dev.lcm4j.testing.Cli.exec("predict", "--model_card", pt.toString(), "--input", in.toString(),
                    "--output", tmp.resolve("never.npy").toString());
            assertEquals(2, o.code(), o.out() + o.err());
            assertTrue(o.err().contains(pt.toString()), "the error names the damaged file: " + o.err());
        } finally {
            System.setProperty("LCM_CARDS_PATH", data + ":" + cards);
        }
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        try (var s = Files.walk(from)) {
            for (Path p : s.sorted().toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }
}
