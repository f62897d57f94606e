package dev.lcm4j.inference;

/**
 * The reference's {@code LCMGeneratorOptions}.
 *
 * @param max_seq_len hard cap on generated sentences; max_gen_len must not exceed it (default 200)
 * @param min_seq_len minimum generated sentences before EOS/repetition may stop a row (default 1)
 * @param eos_threshold cosine similarity to the EOS concept that ends a row (default 0.9)
 * @param sample_latent_variable add N(0, temperature^2) noise in normalized space (default true, as the reference;
 *                               docs/quirks.md #21)
 * @param stop_on_repetition_cosine_threshold stop when a new concept's cosine to the previous one reaches this
 * @param include_eos_token keep the EOS-like last concept when trimming (default false)
 * @param trim_hypotheses drop the EOS-like last concept (default false)
 * @param seed if set, the torch RNG is seeded with it at every call
 * @param lcm_temperature noise scale used when the call passes temperature 0 (default 1.0)
 */
public record GeneratorOptions(int max_seq_len, int min_seq_len, Double eos_threshold, boolean sample_latent_variable,
                               Double stop_on_repetition_cosine_threshold, boolean include_eos_token,
                               boolean trim_hypotheses, Long seed, double lcm_temperature) {
    public static GeneratorOptions defaults() {
        return new GeneratorOptions(200, 1, 0.9, true, null, false, false, null, 1.0);
    }
}
