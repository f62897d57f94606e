package dev.lcm4j.eval;

import dev.lcm4j.LcmException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.io.IOException;

/**
 * The task registry: the reference's task names ({@code lcm_generation}, {@code finetuning_data_lcm.validation},
 * {@code cnn_dailymail_[inverse_]llm.<split>}, {@code xsum_[inverse_]llm.<split>}, {@code xlsum_llm.<lang>.<split>},
 * {@code dummy_generation}, {@code dummy_json_generation}) plus {@code finetuning_data_lcm.<any split>} and lcm4j's
 * {@code lcm_next_sentence} (the paper's teacher-forced pre-training metrics).
 */
public final class Tasks {
    public static final List<String> SPLITS = List.of("test", "validation", "train");
    public static final List<String> FORMS = List.of("", "inverse_");
    public static final List<String> XLSUM_SPLITS = List.of("test", "sampled_test", "validation", "sampled_validation");
    public static final List<String> XLSUM_LANGUAGES = List.of("oromo", "french", "amharic", "arabic", "azerbaijani",
            "bengali", "burmese", "chinese_simplified", "chinese_traditional", "welsh", "english", "kirundi", "gujarati",
            "hausa", "hindi", "igbo", "indonesian", "japanese", "korean", "kyrgyz", "marathi", "spanish",
            "scottish_gaelic", "nepali", "pashto", "persian", "pidgin", "portuguese", "punjabi", "russian",
            "serbian_cyrillic", "serbian_latin", "sinhala", "somali", "swahili", "tamil", "telugu", "thai", "tigrinya",
            "turkish", "ukrainian", "urdu", "uzbek", "vietnamese", "yoruba");
    /** xlsum's prompt (the reference's jinja template rendered for zero or more shots). */
    static final String XLSUM_INSTRUCTION = "Summarize this article in one sentence.\n\n";

    private Tasks() {
    }

    /** Every concrete task name (finetuning_data_lcm accepts any split; its three usual ones are listed). */
    public static List<String> names() {
        List<String> out = new ArrayList<>(List.of("lcm_generation", "lcm_next_sentence", "dummy_generation", "dummy_json_generation"));
        for (String s : SPLITS) out.add("finetuning_data_lcm." + s);
        for (String f : FORMS) for (String s : SPLITS) {
            out.add("cnn_dailymail_" + f + "llm." + s);
            out.add("xsum_" + f + "llm." + s);
        }
        for (String l : XLSUM_LANGUAGES) for (String s : XLSUM_SPLITS) out.add("xlsum_llm." + l + "." + s);
        return out;
    }

    /**
     * Expands {@code --tasks}: comma-separated names or {@code *} patterns ({@code .} is literal), in order, without
     * duplicates. An unknown name is an error that lists the task families.
     */
    public static List<String> expand(String tasks) {
        List<String> out = new ArrayList<>();
        for (String raw : tasks.split(",")) {
            String t = raw.strip();
            if (t.isEmpty()) continue;
            if (t.contains("*")) {
                Pattern p = Pattern.compile(Pattern.quote(t).replace("*", "\\E.*\\Q"));
                List<String> hits = names().stream().filter(n -> p.matcher(n).matches()).toList();
                if (hits.isEmpty()) throw unknown(t);
                for (String h : hits) if (!out.contains(h)) out.add(h);
            } else {
                spec(t);   // validates
                if (!out.contains(t)) out.add(t);
            }
        }
        if (out.isEmpty()) throw new LcmException("--tasks is empty; give at least one task, e.g. --tasks lcm_generation");
        return out;
    }

    private static LcmException unknown(String t) {
        return new LcmException("unknown task '" + t + "'; valid tasks: lcm_generation, lcm_next_sentence, "
                + "finetuning_data_lcm.<split>, cnn_dailymail_[inverse_]llm.{test,validation,train}, "
                + "xsum_[inverse_]llm.{test,validation,train}, xlsum_llm.<language>.{test,sampled_test,validation,sampled_validation} "
                + "(45 languages, e.g. xlsum_llm.english.test), dummy_generation, dummy_json_generation; patterns with * work");
    }

    /** The task of a concrete name. */
    public static TaskSpec spec(String name) {
        if (name.equals("lcm_generation")) return lcmGeneration(name, null);
        if (name.startsWith("finetuning_data_lcm.") && name.length() > "finetuning_data_lcm.".length()) {
            return lcmGeneration(name, "finetuning_data=" + name.substring("finetuning_data_lcm.".length()));
        }
        if (name.equals("lcm_next_sentence")) {
            return new TaskSpec(name, TaskSpec.Kind.LCM_NEXT_SENTENCE, args("max_prompt_len", 2048, "round_trip", true,
                    "max_docs_per_batch", 0), List.of(), false, false, (d, dir, a) -> { });
        }
        if (name.equals("dummy_generation")) {
            return new TaskSpec(name, TaskSpec.Kind.DUMMY_PARQUET, args("eos_config", null), List.of(), false, false, (d, dir, a) -> { });
        }
        if (name.equals("dummy_json_generation")) {
            return new TaskSpec(name, TaskSpec.Kind.DUMMY_JSON, args("eos_config", null), List.of(), false, false,
                    (d, dir, a) -> d.taskDefault("prompt_template", "[INST] Prompt: {{ _source_text_column }}"));
        }
        var m = Pattern.compile("(cnn_dailymail|xsum)_(inverse_)?llm\\.(test|validation|train)").matcher(name);
        if (m.matches()) {
            boolean cnn = m.group(1).equals("cnn_dailymail");
            boolean inverse = m.group(2) != null;
            String split = m.group(3);
            String src = cnn ? (inverse ? "highlights" : "article") : (inverse ? "summary" : "document");
            String tgt = cnn ? (inverse ? "article" : "highlights") : (inverse ? "document" : "summary");
            Map<String, Object> defaults = cnn ? args("min_gen_len", 10, "max_gen_len", 512, "max_gen_len_ratio", null, "max_prompt_len", 4096, "eos_config", null)
                    : args("min_gen_len", 4, "max_gen_len", 512, "max_gen_len_ratio", null, "max_prompt_len", 4096, "eos_config", null);
            List<String> rouge = cnn ? List.of("rouge2", "rougeL", "rougeLsum") : List.of("rouge2", "rougeL");
            return new TaskSpec(name, TaskSpec.Kind.TEXT_GENERATION, defaults, rouge, true, false, (d, dir, a) -> {
                if (d.str("file_path") == null) d.taskDefault("file_path", dataFile(name, dir, cnn ? "cnn_daily_mail" : "xsum", split, src, tgt));
                if (cnn) {
                    d.taskDefault("source_prefix_text", inverse ? "[INST] Write an article from the following summary: "
                            : "[INST] Summarize the following article: ");
                    d.taskDefault("source_suffix_text", " [/INST]");
                }
                d.taskDefault("source_text_column", src);
                d.taskDefault("target_text_column", tgt);
            });
        }
        var x = Pattern.compile("xlsum_llm\\.([a-z_]+)\\.(test|sampled_test|validation|sampled_validation)").matcher(name);
        if (x.matches() && XLSUM_LANGUAGES.contains(x.group(1))) {
            String lang = x.group(1), split = x.group(2);
            return new TaskSpec(name, TaskSpec.Kind.TEXT_GENERATION, args("num_shots", 0, "max_gen_len", 512,
                    "max_gen_len_ratio", null, "max_prompt_len", 4096, "eos_config", null),
                    List.of("rouge2", "rougeL", "rougeLsum"), false, true, (d, dir, a) -> {
                if (d.str("file_path") == null) d.taskDefault("file_path", dataFile(name, dir, "xlsum/" + lang, split, "text", "summary"));
                d.taskDefault("prompt_template", "xlsum");  // rendered by ExampleLoader (few-shot aware)
                d.taskDefault("target_text_column", "summary");
            });
        }
        throw unknown(name);
    }

    private static TaskSpec lcmGeneration(String name, String datasetName) {
        return new TaskSpec(name, TaskSpec.Kind.LCM_GENERATION, args("max_gen_len", 128, "max_gen_len_ratio", null,
                "max_prompt_len", 2048, "eos_config", null, "prompt_len", null), List.of("rouge2", "rougeL", "rougeLsum"),
                false, false, (d, dir, a) -> {
            if (datasetName != null) d.taskDefault("name", datasetName);
        });
    }

    /**
     * The task's data file: {@code <dir>/<sub>/<split>.jsonl}, else {@code <dir>/<split>.jsonl}, and the same with
     * {@code .parquet} (or the first of Hugging Face's {@code <split>-0000K-of-0000N.parquet} shards; the loader reads them all).
     */
    static String dataFile(String task, String datasetDir, String sub, String split, String src, String tgt) {
        if (datasetDir == null) return null;   // --dataset.file_path may still name it; checked when loading
        Path dir = Path.of(datasetDir);
        List<Path> tried = new ArrayList<>();
        for (Path base : List.of(dir.resolve(sub), dir)) {
            for (String ext : List.of(".jsonl", ".parquet")) {
                Path p = base.resolve(split + ext);
                tried.add(p);
                if (Files.isRegularFile(p)) return p.toString();
            }
            if (Files.isDirectory(base)) {
                try (var s = Files.list(base)) {
                    TreeSet<Path> shards = new TreeSet<>(s.filter(q -> q.getFileName().toString().matches(Pattern.quote(split) + "-\\d+-of-\\d+\\.parquet")).toList());
                    if (!shards.isEmpty()) return shards.first().toString();
                } catch (IOException ignored) {
                    // fall through to the error below
                }
            }
        }
        throw new LcmException("task " + task + ": no data file; expected one of " + tried + " (jsonl or parquet with columns '"
                + src + "' and '" + tgt + "', the public dataset's layout); set --dataset_dir or --dataset.file_path");
    }

    static Map<String, Object> args(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }
}
