package dev.lcm4j.eval;

import java.util.List;
import java.util.Map;

/**
 * One evaluation sample after prompt assembly.
 *
 * @param index          0-based position in the task's data
 * @param id             the row's id, if the data has one
 * @param fields         the raw text columns of the row (text tasks), for raw results
 * @param promptText     the prompt as text (text tasks: the assembled prompt; LCM tasks: the prompt's sentences
 *                       joined with spaces)
 * @param promptConcepts the prompt's concepts [P][D] (LCM tasks; null for text tasks, whose prompts are encoded by the
 *                       predictor)
 * @param source         the original source text (for the n-gram metrics), or null
 * @param targets        reference texts (one for every registered task)
 * @param targetConcepts the target's concepts (LCM tasks; whole document for lcm_next_sentence), or null
 */
public record Example(int index, String id, Map<String, Object> fields, String promptText, float[][] promptConcepts,
                      String source, List<String> targets, float[][] targetConcepts) {
}
