package dev.lcm4j.inference;

import dev.lcm4j.LcmException;

/**
 * When a generated row stops, as the reference's {@code LCMGenerator} decides it: after {@code maxGen} concepts, or,
 * once {@code minGen} concepts are out, on a concept whose cosine to the EOS concept reaches {@code eosThreshold} or
 * whose cosine to the concept before it reaches {@code repetitionThreshold} (the reference counts a repetition as an
 * EOS). {@link LcmGenerator} and the evaluation baselines, which generate without a model, both stop by this rule, so
 * the generator options mean the same for both.
 *
 * @param minGen              generated concepts before EOS or repetition may stop a row (at least 1)
 * @param maxGen              generated concepts after which a row always stops
 * @param eos                 the EOS concept, or null for none
 * @param eosThreshold        cosine to {@code eos} that stops a row; null: EOS never stops a row
 * @param repetitionThreshold cosine to the previous concept that stops a row; null: repetition never stops a row
 * @param dropEos             a row stopped on EOS or repetition leaves its last concept out (trim_hypotheses without
 *                            include_eos_token)
 */
public record StoppingRule(int minGen, int maxGen, float[] eos, Double eosThreshold, Double repetitionThreshold, boolean dropEos) {
    /** What a row does after one more concept. */
    public enum Decision {
        /** generate another concept */
        GO_ON,
        /** stop; the hypothesis ends with this concept */
        STOP,
        /** stop; the hypothesis ends before this concept (a trimmed EOS) */
        STOP_DROP_LAST
    }

    /**
     * The rule of a generator call: as the reference, a null or 0 {@code maxGenLen} means {@code max_seq_len} and a null
     * or 0 {@code minGenLen} means {@code min_seq_len}.
     *
     * @param eos the EOS concept, or null (the options' eos_threshold then stops nothing)
     */
    public static StoppingRule of(GeneratorOptions options, Integer maxGenLen, Integer minGenLen, float[] eos) {
        int maxGen = maxGenLen == null || maxGenLen == 0 ? options.max_seq_len() : maxGenLen;
        if (maxGen > options.max_seq_len()) throw new LcmException("max_gen_len " + maxGen + " exceeds max_seq_len " + options.max_seq_len());
        if (maxGen < 1) throw new LcmException("max_gen_len must be >= 1, got " + maxGen);
        int minGen = Math.max(1, minGenLen == null || minGenLen == 0 ? options.min_seq_len() : minGenLen);
        return new StoppingRule(minGen, maxGen, eos, eos == null ? null : options.eos_threshold(),
                options.stop_on_repetition_cosine_threshold(), options.trim_hypotheses() && !options.include_eos_token());
    }

    /**
     * @param previous        the concept before {@code concept} (the prompt's last one for the first generated concept)
     * @param concept         the concept just generated
     * @param generatedBefore how many concepts the row generated before {@code concept}
     */
    public Decision after(float[] previous, float[] concept, int generatedBefore) {
        boolean eosLike = false;
        if (generatedBefore >= minGen) {
            if (eos != null && eosThreshold != null && cosine(eos, concept) >= eosThreshold) eosLike = true;
            if (repetitionThreshold != null && cosine(previous, concept) >= repetitionThreshold) eosLike = true;
        }
        if (eosLike) return dropEos ? Decision.STOP_DROP_LAST : Decision.STOP;
        return generatedBefore + 1 >= maxGen ? Decision.STOP : Decision.GO_ON;
    }

    /** torch.nn.functional.cosine_similarity with eps 1e-8 on each norm. */
    static double cosine(float[] a, float[] b) {
        if (a.length != b.length) throw new LcmException("cannot compare a " + a.length + "-d concept with a " + b.length + "-d one (EOS concept of another concept space?)");
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) { dot += a[i] * (double) b[i]; na += a[i] * (double) a[i]; nb += b[i] * (double) b[i]; }
        return dot / (Math.max(Math.sqrt(na), 1e-8) * Math.max(Math.sqrt(nb), 1e-8));
    }
}
