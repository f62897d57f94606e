package dev.lcm4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.LcmException;
import dev.lcm4j.data.Affixes;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetReader;
import dev.lcm4j.data.StringColumnReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.function.Predicate;

/**
 * Reads a task's samples and assembles prompts exactly as the reference's data pipeline does for text data
 * ({@code _build_prompts_from_columns}): a prompt template wins; else {@code source_sequences} are joined with single
 * spaces; else {@code source_prefix_text + <source text> + source_suffix_text}. For LCM (parquet) data the prompt is the
 * pre-embedded source column, with prefix/suffix texts embedded as extra concepts the way training adds them.
 */
public final class ExampleLoader {
    static final String SOURCE_TEXT = "_source_text_column";
    static final String TARGET_TEXT = "_target_text_column";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VAR = Pattern.compile("\\{\\{\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*}}");

    private ExampleLoader() {
    }

    // ------------------------------------------------------------------------------------------------ text data

    /** Text rows of a jsonl or parquet file (all string columns the task needs), at most {@code max} rows. */
    public static List<Map<String, Object>> readRows(Path file, List<String> neededColumns, Integer max) {
        if (file == null) throw new LcmException("no data file; set --dataset_dir or --dataset.file_path");
        if (!Files.isRegularFile(file)) throw new LcmException("data file " + file + " does not exist; check --dataset_dir / --dataset.file_path");
        String n = file.getFileName().toString();
        List<Map<String, Object>> rows = new ArrayList<>();
        if (n.endsWith(".parquet")) {
            for (Path shard : shards(file)) {
                try (StringColumnReader r = new StringColumnReader(shard, neededColumns)) {
                    for (int g = 0; g < r.rowGroupCount() && (max == null || rows.size() < max); g++) {
                        Map<String, List<String>> cols = r.readRowGroup(g);
                        int count = cols.values().iterator().next().size();
                        for (int i = 0; i < count && (max == null || rows.size() < max); i++) {
                            Map<String, Object> row = new LinkedHashMap<>();
                            for (var e : cols.entrySet()) row.put(e.getKey(), e.getValue().get(i));
                            rows.add(row);
                        }
                    }
                }
            }
            return rows;
        }
        try (BufferedReader br = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = br.readLine()) != null && (max == null || rows.size() < max)) {
                lineNo++;
                if (line.isBlank()) continue;
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new LcmException(file + ":" + lineNo + " is not valid JSON (" + e.getOriginalMessage() + "); each line must be one JSON object");
                }
                if (!node.isObject()) throw new LcmException(file + ":" + lineNo + " is not a JSON object");
                Map<String, Object> row = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    var e = it.next();
                    row.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText()
                            : e.getValue().isArray() ? toStrings(e.getValue()) : e.getValue().toString());
                }
                for (String c : neededColumns) {
                    if (!row.containsKey(c)) {
                        throw new LcmException(file + ":" + lineNo + " has no column '" + c + "' (columns: " + String.join(", ", row.keySet())
                                + "); set --dataset.source_text_column / --dataset.target_text_column to the file's columns");
                    }
                }
                rows.add(row);
            }
        } catch (IOException e) {
            throw new LcmException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return rows;
    }

    private static List<String> toStrings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(x -> out.add(x.isTextual() ? x.asText() : x.toString()));
        return out;
    }

    /** {@code train-00000-of-00003.parquet} stands for all three shards. */
    private static List<Path> shards(Path file) {
        Matcher m = Pattern.compile("(.+)-\\d+-of-(\\d+)\\.parquet").matcher(file.getFileName().toString());
        if (!m.matches()) return List.of(file);
        int n = Integer.parseInt(m.group(2));
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path p = file.resolveSibling(String.format("%s-%05d-of-%s.parquet", m.group(1), i, m.group(2)));
            if (!Files.isRegularFile(p)) throw new LcmException("parquet shard " + p + " is missing (" + file.getFileName() + " names " + n + " shards)");
            out.add(p);
        }
        return out;
    }

    /** The reference's {@code to_str}: a list of sentences is joined with spaces. */
    static String str(Object v) {
        if (v == null) return null;
        if (v instanceof List<?> l) {
            List<String> s = new ArrayList<>();
            for (Object o : l) s.add(String.valueOf(o));
            return String.join(" ", s);
        }
        return String.valueOf(v);
    }

    /** Text-task samples with prompts assembled by the reference's rules. */
    public static List<Example> textExamples(TaskSpec task, DatasetOptions d, Map<String, Object> args, Integer max) {
        String file = d.str("file_path");
        if (file == null) throw new LcmException("task " + task.name() + " reads a jsonl/parquet file: set --dataset_dir DIR or --dataset.file_path FILE");
        LinkedHashSet<String> needed = new LinkedHashSet<>();
        if (d.str("source_text_column") != null) needed.add(d.str("source_text_column"));
        if (d.str("target_text_column") != null) needed.add(d.str("target_text_column"));
        for (DatasetOptions.Sequence s : d.sequences("source_sequences")) if (s.textColumn() != null) needed.add(s.textColumn());
        for (DatasetOptions.Sequence s : d.sequences("target_sequences")) if (s.textColumn() != null) needed.add(s.textColumn());
        String template = d.str("prompt_template");
        if ("xlsum".equals(template)) needed.add("text");
        needed.addAll(d.columns());
        List<Map<String, Object>> rows = readRows(Path.of(file), List.copyOf(needed), max);
        List<Map<String, Object>> shots = List.of();
        int numShots = args.get("num_shots") instanceof Number k ? k.intValue() : 0;
        if ("xlsum".equals(template) && numShots > 0) {
            // the reference reads few-shot examples from <dataset_dir>/xlsum/<lang>/validation.jsonl, "first" strategy
            Path fewShot = Path.of(file).resolveSibling("validation.jsonl");
            shots = readRows(fewShot, List.of("text", "summary"), numShots);
        }
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> row = rows.get(i);
            Map<String, Object> x = new LinkedHashMap<>(row);
            String srcCol = d.str("source_text_column"), tgtCol = d.str("target_text_column");
            if (srcCol != null && row.containsKey(srcCol)) x.put(SOURCE_TEXT, row.get(srcCol));
            if (tgtCol != null && row.containsKey(tgtCol)) x.put(TARGET_TEXT, row.get(tgtCol));
            String prompt;
            if (template != null) {
                prompt = "xlsum".equals(template) ? xlsumPrompt(str(x.get("text")), shots) : render(template, x);
            } else if (!d.sequences("source_sequences").isEmpty()) {
                prompt = combine(d.sequences("source_sequences"), x);
            } else {
                if (srcCol == null) throw new LcmException("task " + task.name() + ": no source text; set --dataset.source_text_column");
                prompt = nz(d.str("source_prefix_text")) + str(x.get(SOURCE_TEXT)) + nz(d.str("source_suffix_text"));
            }
            String target = null;
            if (!d.sequences("target_sequences").isEmpty()) target = combine(d.sequences("target_sequences"), x);
            else if (tgtCol != null) target = nz(d.str("target_prefix_text")) + str(x.get(TARGET_TEXT)) + nz(d.str("target_suffix_text"));
            String source = srcCol != null && row.containsKey(srcCol) ? str(row.get(srcCol)) : null;
            Object id = row.get("id");
            out.add(new Example(i, id == null ? null : String.valueOf(id), row, prompt, null, source,
                    target == null ? List.of() : List.of(target), null));
        }
        return out;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static String combine(List<DatasetOptions.Sequence> seqs, Map<String, Object> x) {
        List<String> texts = new ArrayList<>();
        for (DatasetOptions.Sequence s : seqs) {
            if (s.textValue() != null) texts.add(s.textValue());
            else {
                if (!x.containsKey(s.textColumn())) throw new LcmException("source_sequences names column '" + s.textColumn() + "', which the data does not have (columns: " + String.join(", ", x.keySet()) + ")");
                texts.add(str(x.get(s.textColumn())));
            }
        }
        return String.join(" ", texts);
    }

    /**
     * A prompt template with jinja's {@code {{ name }}} substitutions (the only construct the reference's templates use
     * outside xlsum's few-shot loop); like jinja, an undefined name renders as the empty string.
     */
    static String render(String template, Map<String, Object> x) {
        Matcher m = VAR.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            Object v = x.get(m.group(1));
            m.appendReplacement(sb, Matcher.quoteReplacement(v == null ? "" : str(v)));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /**
     * xlsum's template rendered: one "Summarize this article in one sentence.\n\nArticle: ...\nSummary: ...\n\n" block
     * per shot, then the article. (The reference's shots read {@code x["_target_text_column"]}, which its few-shot loader
     * never sets, so its shots have empty summaries; lcm4j uses the shot's {@code summary}: docs/quirks.md #25.)
     */
    static String xlsumPrompt(String text, List<Map<String, Object>> shots) {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> s : shots) {
            sb.append(Tasks.XLSUM_INSTRUCTION).append("Article: ").append(str(s.get("text"))).append("\nSummary: ")
                    .append(str(s.get("summary"))).append("\n\n");
        }
        return sb.append(Tasks.XLSUM_INSTRUCTION).append("Article: ").append(text).append("\nSummary:").toString();
    }

    // ------------------------------------------------------------------------------------------------- LCM data

    /** The LCM parquet dataset the options name: {@code --dataset.name} (a datacard) or {@code --dataset.parquet_path}. */
    public static Dataset lcmDataset(String task, DatasetOptions d) {
        String name = d.str("name"), path = d.str("parquet_path");
        Dataset ds;
        if (name != null) {
            ds = DatacardRegistry.fromEnvironment().resolve(name);
        } else if (path != null) {
            String src = d.str("source_column") != null ? d.str("source_column") : "text_sentences_sonar_emb";
            ds = Dataset.of(Path.of(path).getFileName().toString(), Path.of(path),
                    new DataColumns(src, d.str("source_text_column") != null ? d.str("source_text_column") : "text_sentences", null, null, null), null);
        } else {
            throw new LcmException("task " + task + " reads LCM parquet data: set --dataset.name CARD[=SPLIT] (a datacard) or --dataset.parquet_path DIR");
        }
        DataColumns c = ds.columns();
        DataColumns cols = new DataColumns(or(d.str("source_column"), c.source()), or(d.str("source_text_column"), c.sourceText()),
                or(d.str("target_column"), c.target()), or(d.str("target_text_column"), c.targetText()), c.id());
        return new Dataset(ds.name(), ds.card(), ds.split(), ds.weight(), ds.root(), cols);
    }

    /**
     * {@link #lcmDataset(String, DatasetOptions)} for the predictor: data whose datacard names another concept encoder
     * than the predictor's space (a model card's, a baseline's training data) is refused, since its vectors are in a
     * space the predictor was not fitted in.
     */
    static Dataset lcmDataset(String task, DatasetOptions d, Predictor predictor) {
        Dataset ds = lcmDataset(task, d);
        Object dataEncoder = ds.card() == null ? null : ds.card().extra().get("concept_encoder");
        Predictor.ConceptSpace space = predictor.space();
        if (dataEncoder != null && space != null && !String.valueOf(dataEncoder).equals(space.encoder())) {
            throw new LcmException("dataset " + ds.name() + " is in the concept space of " + dataEncoder + " but " + space.origin()
                    + " is in that of " + space.encoder() + "; evaluate on data embedded with " + space.encoder());
        }
        return ds;
    }

    private static String or(String a, String b) {
        return a != null ? a : b;
    }

    /** Documents of an LCM dataset, in file order, at most {@code max}. */
    public static List<Document> documents(Dataset ds, int dim, Integer max) {
        return documents(ds, dim, max, d -> true);
    }

    /**
     * The first {@code max} documents that {@code keep} accepts (max_samples counts samples, not rows read, nor whole
     * batches as in the reference; docs/quirks.md #23).
     */
    public static List<Document> documents(Dataset ds, int dim, Integer max, Predicate<Document> keep) {
        List<Document> docs = new ArrayList<>();
        for (Path f : ds.files()) {
            try (LcmParquetReader r = LcmParquetReader.open(f, ds.columns(), dim)) {
                for (Document doc : r) {
                    if (max != null && docs.size() >= max) return docs;
                    if (keep.test(doc)) docs.add(doc);
                }
            }
        }
        return docs;
    }

    /**
     * lcm_generation samples. With a target column the prompt is the source column and the reference is the target
     * sentences joined with spaces. Without one, {@code prompt_len} splits each document: its first prompt_len
     * sentences are the prompt and the next {@code max_gen_len} the reference (shorter documents are skipped).
     * Source (target) prefix/suffix texts become extra concepts around the prompt (reference), as in training.
     */
    public static List<Example> lcmGenerationExamples(String task, List<Document> docs, Integer promptLen, int maxGenLen,
                                                      Affixes.Applier affixes) {
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            Document doc = docs.get(i);
            if (!doc.hasTarget()) {
                if (promptLen == null) {
                    throw new LcmException("task " + task + ": the data has no target column; set --dataset.target_column/--dataset.target_text_column,"
                            + " or split each document with --task_args '{\"prompt_len\": 3}' (prompt = first 3 sentences, reference = the next max_gen_len)");
                }
                if (doc.sourceLength() <= promptLen) continue;
                int end = Math.min(doc.sourceLength(), promptLen + maxGenLen);
                doc = new Document(doc.id(), doc.sentences() == null ? null : doc.sentences().subList(0, promptLen),
                        Arrays.copyOfRange(doc.embeddings(), 0, promptLen),
                        doc.sentences() == null ? null : doc.sentences().subList(promptLen, end),
                        Arrays.copyOfRange(doc.embeddings(), promptLen, end), doc.dataset());
            }
            doc = affixes.apply(doc);
            if (doc.targetSentences() == null) throw new LcmException("task " + task + ": the data has no target text column; ROUGE needs reference texts (set --dataset.target_text_column)");
            String prompt = doc.sentences() == null ? null : String.join(" ", doc.sentences());
            out.add(new Example(i, doc.id(), null, prompt, doc.embeddings(), prompt,
                    List.of(String.join(" ", doc.targetSentences())), doc.targetEmbeddings()));
        }
        return out;
    }
}
