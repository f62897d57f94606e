package dev.lcm4j.train;

import dev.lcm4j.io.TensorBoardWriter;
import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.cli.Main;
import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.models.ModelCards;
import dev.lcm4j.models.ModelLoader;
import dev.lcm4j.models.baselcm.BaseLcm;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.testing.Cli;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.io.FileTrees;
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

/** End-to-end training through the CLI on a small synthetic dataset (the reference's toy trainer test and more). */
@Tag("slow")
class TrainerTest {
    @TempDir static Path tmp;
    static Path data;

    @BeforeAll
    static void setUp() {
        TorchRuntime.init();
        data = tmp.resolve("synth");
        SyntheticData.write(data, "tinysynth", 60, 16, 7);
        System.setProperty("LCM_CARDS_PATH", data.toString());
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    static List<String> args(Path out, int maxSteps, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "+pretrain=mse", "++trainer.output_dir=" + out,
                "++trainer.model_arch=toy_base_lcm",
                "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, max_seq_len: 256, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64}}",
                "++trainer.training_data=[{name: tinysynth=train}]", "++trainer.validation_data=[{name: tinysynth=validation}]",
                "++trainer.dtype=torch.float32", "++trainer.max_steps=" + maxSteps, "++trainer.num_lr_warmup_steps=2",
                "++trainer.lr=0.003", "++trainer.checkpoint_every_n_steps=2", "++trainer.save_model_every_n_steps=2",
                "++trainer.validate_every_n_steps=" + maxSteps, "++trainer.publish_metrics_every_n_steps=1",
                "++trainer.data_loading_config.max_tokens=200", "++trainer.keep_last_n_checkpoints=2"));
        a.addAll(List.of(extra));
        return a;
    }

    static int run(List<String> a) {
        return Main.execute(a.toArray(String[]::new));
    }

    static Map<String, StoredTensor> params(Path modelPt) {
        return Checkpoints.readState(modelPt);
    }

    @Test
    void trainCheckpointCardReloadAndLossDecreases() throws Exception {
        Path out = tmp.resolve("run");
        assertEquals(0, run(args(out, 12)));
        // checkpoints every 2 steps, last 2 kept
        assertEquals(List.of("step_10", "step_12"), Checkpointer.stepDirs(out.resolve("checkpoints")).stream().map(p -> p.getFileName().toString()).toList());
        Path card = out.resolve("model_card.yaml");
        assertTrue(Files.isRegularFile(card));
        String cardText = Files.readString(card);
        assertTrue(cardText.contains("model_family: base_lcm"), cardText);
        assertTrue(cardText.contains("model_config:"), "trained with arch overrides, so the card carries model_config: " + cardText);
        assertTrue(cardText.contains("checkpoints/step_12/model.pt"), cardText);

        // reload through the card (path, training dir and model.pt forms) gives the checkpoint's parameters
        Map<String, StoredTensor> saved = params(out.resolve("checkpoints/step_12/model.pt"));
        for (String ref : List.of(card.toString(), out.toString(), out.resolve("checkpoints/step_12/model.pt").toString())) {
            BaseLcm m = ModelLoader.load(ModelCards.resolve(ref), BaseLcm.class, ParamFactory.cpu(), true);
            for (var e : m.namedParameters().entrySet()) {
                assertArrayEquals(saved.get(e.getKey()).toFloatArray(), Tensors.toFloats(e.getValue()), 0f, ref + " " + e.getKey());
            }
        }

        // training reduced the loss: the metrics log has the per-step training losses
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            if (line.contains("\"run\": \"Train\"")) losses.add(Double.parseDouble(line.replaceAll(".*\"loss\": ([^,}]+).*", "$1")));
        }
        assertEquals(12, losses.size());
        double first = (losses.get(0) + losses.get(1)) / 2, last = (losses.get(10) + losses.get(11)) / 2;
        assertTrue(last < 0.5 * first, "loss should fall well below its start: " + losses);
        assertTrue(Files.list(out.resolve("tb")).anyMatch(p -> p.getFileName().toString().startsWith("events.out.tfevents.")));
    }

    /** ./lcm train with trainer.activation_checkpointing ends with the parameters of the same run without it. */
    @Tag("slow")
    @Test
    void activationCheckpointingTrainsTheSameModel() {
        String layers = "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, max_seq_len: 256,"
                + " lcm: {num_layers: 2, num_attn_heads: 2, ffn_inner_dim: 64, dropout_p: 0.1, attention_dropout_p: 0.1}}";
        Path plain = tmp.resolve("unchecked"), checkpointed = tmp.resolve("checkpointed");
        assertEquals(0, run(args(plain, 4, layers)));
        assertEquals(0, run(args(checkpointed, 4, layers, "++trainer.activation_checkpointing=true")));
        Map<String, StoredTensor> a = params(plain.resolve("checkpoints/step_4/model.pt"));
        Map<String, StoredTensor> b = params(checkpointed.resolve("checkpoints/step_4/model.pt"));
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 1e-6f, k);
    }

    @Test
    void aDamagedTrainerStateNamesTheFileAndThePreviousCheckpoint() throws Exception {
        Path out = tmp.resolve("damaged");
        assertEquals(0, run(args(out, 4)));
        Files.writeString(out.resolve("checkpoints/step_4/trainer_state.yaml"), "step: [4\nrng_state: ");
        dev.lcm4j.testing.Cli.Outcome o = dev.lcm4j.testing.Cli.exec(args(out, 6));
        dev.lcm4j.testing.Cli.assertUserError(o, "step_4/trainer_state.yaml is damaged", "resume from the previous checkpoint step_2");
        // following the advice resumes
        FileTrees.deleteTree(out.resolve("checkpoints/step_4"));
        assertEquals(0, run(args(out, 6)));
        assertTrue(Files.isDirectory(out.resolve("checkpoints/step_6")));
    }

    @Test
    void resumeContinuesTheIdenticalRun() {
        Path straight = tmp.resolve("straight"), resumed = tmp.resolve("resumed");
        assertEquals(0, run(args(straight, 6)));
        List<String> stopped = new ArrayList<>(args(resumed, 6));
        stopped.add("--stop_after_steps=3");
        assertEquals(0, run(stopped));
        assertTrue(Files.isDirectory(resumed.resolve("checkpoints/step_3")));
        assertFalse(Files.exists(resumed.resolve("checkpoints/step_6")));
        assertEquals(0, run(args(resumed, 6)));
        Map<String, StoredTensor> a = params(straight.resolve("checkpoints/step_6/model.pt"));
        Map<String, StoredTensor> b = params(resumed.resolve("checkpoints/step_6/model.pt"));
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
    }

    @Test
    void refusesAnotherRunsOutputDirUnlessOverwrite() {
        Path out = tmp.resolve("guard");
        assertEquals(0, run(args(out, 2)));
        List<String> other = args(out, 2, "++trainer.lr=0.001");
        Cli.Outcome o = Cli.exec(other);
        assertEquals(2, o.code());
        assertTrue(o.err().contains("holds checkpoints of another run") && o.err().contains("trainer.lr"), o.err());
        List<String> ow = new ArrayList<>(other);
        ow.add("--overwrite");
        assertEquals(0, run(ow));
    }

    @Test
    void finetuneFromRegisteredCard() throws Exception {
        Path pre = tmp.resolve("pre");
        assertEquals(0, run(args(pre, 2)));
        Path cards = tmp.resolve("cards");
        Files.createDirectories(cards);
        // a card's paths are relative to its file: a copy registered elsewhere points at the run's checkpoint
        String card = Files.readString(pre.resolve("model_card.yaml")).replace("name: on_the_fly_lcm", "name: my_pretrained_lcm")
                .replaceAll("checkpoint: (.*)", "checkpoint: " + pre.toString().replace("\\", "/") + "/$1");
        Files.writeString(cards.resolve("mine.yaml"), card);
        System.setProperty("LCM_CARDS_PATH", data + ":" + cards);
        try {
            Path ft = tmp.resolve("ft");
            List<String> a = new ArrayList<>(List.of("train", "+finetune=mse", "++trainer.output_dir=" + ft,
                    "++trainer.model_config_or_name=my_pretrained_lcm", "++trainer.criterion.name=next_sentence_mse",
                    "++trainer.training_data=[{name: tinysynth=train}]", "++trainer.validation_data=[]",
                    "++trainer.dtype=torch.float32", "++trainer.max_steps=2", "++trainer.num_lr_warmup_steps=1",
                    "++trainer.checkpoint_every_n_steps=1", "++trainer.save_model_every_n_steps=1",
                    "++trainer.data_loading_config.max_tokens=200"));
            assertEquals(0, run(a));
            String ftCard = Files.readString(ft.resolve("model_card.yaml"));
            assertTrue(ftCard.contains("finetuned_from: my_pretrained_lcm"), ftCard);
            // step 1 starts from the pretrained weights: its parameters are close to them, not to a fresh init
            Map<String, StoredTensor> p0 = params(pre.resolve("checkpoints/step_2/model.pt"));
            Map<String, StoredTensor> p1 = params(ft.resolve("checkpoints/step_1/model.pt"));
            float[] a0 = p0.get("postnet.fc.weight").toFloatArray(), a1 = p1.get("postnet.fc.weight").toFloatArray();
            double maxDiff = 0;
            for (int i = 0; i < a0.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a0[i] - a1[i]));
            assertTrue(maxDiff < 1e-3, "one finetuning step at lr<=3e-5 moves weights by less than 1e-3, moved " + maxDiff);
        } finally {
            System.setProperty("LCM_CARDS_PATH", data.toString());
        }
    }

    static List<Double> trainLosses(Path out) throws Exception {
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            if (line.contains("\"run\": \"Train\"")) losses.add(Double.parseDouble(line.replaceAll(".*\"loss\": ([^,}]+).*", "$1")));
        }
        return losses;
    }

    @Test
    void bf16AutocastTrainsCloseToFp32AndAccumulationRuns() throws Exception {
        Path fp32 = tmp.resolve("fp32"), bf16 = tmp.resolve("bf16"), acc = tmp.resolve("acc");
        assertEquals(0, run(args(fp32, 3)));
        assertEquals(0, run(args(bf16, 3, "++trainer.dtype=torch.bfloat16")));
        double a = trainLosses(fp32).get(0), b = trainLosses(bf16).get(0);
        // same init and data: the first loss differs only by bf16 rounding of the matmuls
        assertTrue(Math.abs(a - b) < 0.03 * a, "fp32 " + a + " vs bf16 " + b);
        assertNotEquals(a, b, "autocast must actually compute in bf16");
        assertTrue(trainLosses(bf16).stream().allMatch(Double::isFinite));
        assertEquals(0, run(args(acc, 2, "++trainer.gradient_accumulation=2")));
        String first = Files.readAllLines(acc.resolve("metrics.jsonl")).get(0);
        String single = Files.readAllLines(fp32.resolve("metrics.jsonl")).get(0);
        double accTargets = Double.parseDouble(first.replaceAll(".*\"num_target_elements\": ([^,}]+).*", "$1"));
        double oneTargets = Double.parseDouble(single.replaceAll(".*\"num_target_elements\": ([^,}]+).*", "$1"));
        assertTrue(accTargets > oneTargets, "an accumulated step sees two batches: " + accTargets + " vs " + oneTargets);
    }

    @Test
    void tensorBoardRecordsUseMaskedCrc32c() {
        // CRC-32C check value of "123456789" is 0xE3069283; TFRecord masks it as ((c >>> 15) | (c << 17)) + 0xa282ead8
        int c = 0xE3069283;
        int masked = ((c >>> 15) | (c << 17)) + 0xa282ead8;
        assertEquals(masked, TensorBoardWriter.maskedCrc("123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }

    /** +finetune=mse as the reference recipe runs it: supervised data (prompt -> answer) and the target_mse criterion. */
    @Test
    void supervisedFinetuningOnPromptAnswerData() throws Exception {
        Path sup = tmp.resolve("sup");
        dev.lcm4j.data.DataColumns cols = dev.lcm4j.data.DataColumns.sonar("prompt_sentences").withTarget("answer_sentences_sonar_emb", "answer_sentences");
        java.util.Random r = new java.util.Random(5);
        int validationAnswers = 0, validationPromptTargets = 0;
        for (String split : List.of("train", "validation")) {
            List<dev.lcm4j.data.Document> docs = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int np = 2 + r.nextInt(4), na = 1 + r.nextInt(3);
                float[][] p = new float[np][16], a = new float[na][16];
                for (float[] v : p) for (int j = 0; j < 16; j++) v[j] = (float) r.nextGaussian() * 0.01f;
                for (float[] v : a) for (int j = 0; j < 16; j++) v[j] = (float) r.nextGaussian() * 0.01f;
                if (split.equals("validation")) { validationAnswers += na; validationPromptTargets += np - 1; }
                docs.add(new dev.lcm4j.data.Document(split + i, java.util.Collections.nCopies(np, "p"), p, java.util.Collections.nCopies(na, "a"), a, null));
            }
            dev.lcm4j.data.LcmParquetWriter.write(sup.resolve("split=" + split).resolve("part-0.parquet"), cols, 16, 4, docs);
        }
        Files.writeString(sup.resolve("cards.yaml"), String.join("\n", "name: supdata", "parquet_path:", "  local: .",
                "source_column: prompt_sentences_sonar_emb", "source_text_column: prompt_sentences",
                "target_column: answer_sentences_sonar_emb", "target_text_column: answer_sentences", ""));
        System.setProperty("LCM_CARDS_PATH", data + ":" + sup);
        try {
            Path out = tmp.resolve("supft");
            List<String> a = new ArrayList<>(List.of("train", "+finetune=mse", "++trainer.output_dir=" + out,
                    "~trainer.model_config_or_name", "++trainer.model_arch=toy_base_lcm",
                    "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, max_seq_len: 64, lcm: {num_layers: 1, num_attn_heads: 2, ffn_inner_dim: 64}}",
                    "++trainer.training_data=[{name: supdata=train}]", "++trainer.validation_data=[{name: supdata=validation}]",
                    "++trainer.dtype=torch.float32", "++trainer.max_steps=3", "++trainer.num_lr_warmup_steps=1",
                    "++trainer.checkpoint_every_n_steps=3", "++trainer.save_model_every_n_steps=3", "++trainer.validate_every_n_steps=3",
                    "++trainer.data_loading_config.max_tokens=40"));
            assertEquals(0, run(a));
            // target_mse counts only answer sentences: validation covers every document once, so its target count is
            // the number of answer sentences written above
            List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
            String valid = lines.stream().filter(l -> l.contains("Valid | supdata=validation")).findFirst().orElseThrow();
            assertEquals(validationAnswers, (int) Double.parseDouble(valid.replaceAll(".*\"num_target_elements\": ([^,}]+).*", "$1")), valid);
            String all = Files.readString(out.resolve("config_logs/all_config.yaml"));
            assertTrue(all.contains("target_mse"), "the finetune recipe's criterion is used");

            // next_sentence_mse on the same data reads the source column only (the reference's UNSUPERVISED input):
            // every prompt position after the first is a target
            Path un = tmp.resolve("supun");
            List<String> b = new ArrayList<>(a);
            b.set(2, "++trainer.output_dir=" + un);
            b.add("++trainer.criterion.name=next_sentence_mse");
            assertEquals(0, run(b));
            String v2 = Files.readAllLines(un.resolve("metrics.jsonl")).stream().filter(l -> l.contains("Valid |")).findFirst().orElseThrow();
            assertEquals(validationPromptTargets, (int) Double.parseDouble(v2.replaceAll(".*\"num_target_elements\": ([^,}]+).*", "$1")), v2);
        } finally {
            System.setProperty("LCM_CARDS_PATH", data.toString());
        }
    }

    @Test
    void ffnFreezingKeepsFfnWeightsFixed() {
        Path one = tmp.resolve("frz1"), three = tmp.resolve("frz3");
        assertEquals(0, run(args(one, 1, "++trainer.freezing_strategy=ffn", "++trainer.checkpoint_every_n_steps=1", "++trainer.save_model_every_n_steps=1")));
        assertEquals(0, run(args(three, 3, "++trainer.freezing_strategy=ffn", "++trainer.checkpoint_every_n_steps=1", "++trainer.save_model_every_n_steps=1")));
        Map<String, StoredTensor> a = params(one.resolve("checkpoints/step_1/model.pt")), b = params(three.resolve("checkpoints/step_3/model.pt"));
        for (String k : a.keySet()) {
            boolean same = java.util.Arrays.equals(a.get(k).toFloatArray(), b.get(k).toFloatArray());
            if (k.contains("ffn")) assertTrue(same, k + " is frozen");
            else if (k.endsWith("weight") && !k.contains("layer_norm")) assertFalse(same, k + " trains");
        }
    }
}
