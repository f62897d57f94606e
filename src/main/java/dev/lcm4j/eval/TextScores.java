package dev.lcm4j.eval;

import dev.lcm4j.LcmException;
import dev.lcm4j.eval.metrics.NltkBleu;
import dev.lcm4j.eval.metrics.Rouge;
import dev.lcm4j.eval.metrics.SacreBleu;
import dev.lcm4j.eval.metrics.TextMetrics;
import dev.lcm4j.text.SentenceSplitters;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scores of one generated text: the task's ROUGE F-measures against the targets, its n-gram overlap and
 * repetition against the source, then the {@code extra_metrics} the run asked for, in that order (the order of the
 * keys in every results file).
 */
public final class TextScores {
    /** Metrics any text task can add with {@code --task_args '{"extra_metrics": [...]}'}. */
    public static final List<String> EXTRA_METRICS = List.of("rouge1", "bleu", "sentence_bleu", "exact_match", "f1",
            "edit_distance", "longest_common_substring", "memorization_score", "nltk_sentence_bleu", "exact_match_f1",
            "one_character_exact_match");

    /**
     * Metrics of concept vectors, which only lcm_next_sentence has side by side with its targets (a generation's
     * sentences are not aligned with the reference's): its {@code extra_metrics} take these.
     */
    public static final List<String> VECTOR_METRICS = List.of("cos_sim", "cosine_based_match", "round_trip_cos");

    private final Rouge rouge;
    private final boolean ngram;
    private final List<String> extra;

    /** The scorer of one run: its task's ROUGE types and n-gram flag, its {@code rouge_use_stemmer} and {@code extra_metrics}. */
    TextScores(TaskSpec spec, Map<String, Object> args) {
        boolean stem = Boolean.TRUE.equals(args.get(TaskArgs.ROUGE_STEMMER_ARG));
        rouge = spec.rougeTypes().isEmpty() ? null : new Rouge(spec.rougeTypes(), stem, SentenceSplitters.create(SentenceSplitters.DEFAULT));
        ngram = spec.ngram();
        extra = TaskArgs.extraMetrics(args, TaskArgs.validMetrics(spec), spec.name());
    }

    /** Metric name to score for {@code prediction}; ROUGE is skipped without targets, the n-gram scores without a source. */
    Map<String, Double> score(String prediction, Example e) {
        Map<String, Double> scores = new LinkedHashMap<>();
        if (rouge != null && !e.targets().isEmpty()) rouge.scoreMulti(e.targets(), prediction).forEach((t, s) -> scores.put(t, s.fmeasure()));
        if (ngram && e.source() != null) {
            scores.putAll(TextMetrics.ngramScore(prediction, e.source()));
            scores.put("ovl_3", TextMetrics.wordOverlap3(prediction, e.source()));
            scores.put("rep_4", TextMetrics.wordRepetition4(prediction));
        }
        for (String m : extra) {
            // exact_match_f1 is one metric function with two outputs, named as the reference's test names them
            for (String output : m.equals("exact_match_f1") ? List.of("exact_match", "f1") : List.of(m)) {
                scores.put(output, extraMetric(output, prediction, e.targets()));
            }
        }
        return scores;
    }

    /** One of {@link #EXTRA_METRICS} for {@code prediction} against {@code targets}; NaN without targets. */
    public static double extraMetric(String m, String prediction, List<String> targets) {
        if (targets.isEmpty()) return Double.NaN;
        List<String> p = TextMetrics.whitespaceTokens(prediction), t = TextMetrics.whitespaceTokens(targets.get(0));
        return switch (m) {
            case "rouge1" -> new Rouge(List.of("rouge1"), false, null).scoreMulti(targets, prediction).get("rouge1").fmeasure();
            // the reference's bleu(): corpus_bleu([prediction], [targets]) zips one stream with one hypothesis, so
            // only the first target is a reference (kept for comparable numbers, docs/quirks.md #27; sentence_bleu
            // uses them all)
            case "bleu" -> SacreBleu.corpusBleu(List.of(prediction), List.of(List.of(targets.get(0))));
            case "sentence_bleu" -> SacreBleu.sentenceBleu(prediction, targets);
            case "exact_match" -> TextMetrics.exactMatch(prediction, targets);
            case "f1" -> TextMetrics.f1(prediction, targets);
            case "one_character_exact_match" -> TextMetrics.oneCharacterExactMatch(prediction, targets);
            case "edit_distance" -> TextMetrics.editDistance(p, t);
            case "longest_common_substring" -> TextMetrics.longestCommonSubstring(p, t);
            case "memorization_score" -> t.isEmpty() ? Double.NaN : TextMetrics.memorizationScore(p, t);
            case "nltk_sentence_bleu" -> NltkBleu.sentenceBleuMethod1(t, p);
            default -> throw new LcmException("unknown metric " + m);
        };
    }
}
