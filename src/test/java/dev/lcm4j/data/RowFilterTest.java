package dev.lcm4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Expected verdicts are Arrow's three-valued logic worked out by hand for each row. */
class RowFilterTest {

    private static boolean test(String expr, Object... keyValues) {
        Map<String, Object> row = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) row.put((String) keyValues[i], keyValues[i + 1]);
        return RowFilter.parse("filters", expr).test(row::get);
    }

    @Test
    void theDocumentedLengthFilterKeepsShorterDocuments() {
        String doc = "pa.compute.less(pa.compute.list_value_length(pa.dataset.field(\"text_sentences\")), 3)";
        List<Boolean> kept = new ArrayList<>();
        for (int n = 1; n <= 4; n++) {
            List<String> sentences = new ArrayList<>();
            for (int k = 0; k < n; k++) sentences.add("s" + k);
            kept.add(test(doc, "text_sentences", sentences));
        }
        assertEquals(List.of(true, true, false, false), kept); // lengths 1, 2 < 3; 3, 4 are not
        assertFalse(test(doc, "text_sentences", null), "a null list has a null length: the row is dropped");
        assertEquals(Set.of("text_sentences"), RowFilter.parse("f", doc).columns());
        // the other list shapes the reader gives: numbers and vectors
        assertTrue(test("pc.list_value_length(pc.field('q')) == 2", "q", new double[] {0.5, 0.7}));
        assertTrue(test("pc.list_value_length(pc.field('v')) == 1", "v", new ColumnDecoder.ListLength(1)));
    }

    @Test
    void operatorsFollowPythonPrecedenceAndKleeneLogic() {
        String both = "(pc.field(\"n\") >= 4) & (pc.field(\"lang\") == \"en\")";
        assertTrue(test(both, "n", 4L, "lang", "en"));
        assertFalse(test(both, "n", 3L, "lang", "en"));
        assertFalse(test(both, "n", 9L, "lang", "fr"));
        // Kleene: false & null = false, true | null = true, true & null = null (dropped)
        assertFalse(test(both, "n", 3L, "lang", null));
        assertTrue(test("(pc.field('n') > 1) | (pc.field('x') == 1)", "n", 2L, "x", null));
        assertFalse(test("(pc.field('n') > 1) & (pc.field('x') == 1)", "n", 2L, "x", null));
        // and_ is not Kleene: false and_ null = null, also dropped; invert(null) = null
        assertFalse(test("pc.and_(pc.field('n') > 5, pc.field('x') == 1)", "n", 2L, "x", null));
        assertTrue(test("~(pc.field('n') > 5)", "n", 2L));
        assertFalse(test("~(pc.field('n') > 5)", "n", null));
        assertTrue(test("pc.is_null(pc.field('n'))", "n", null));
        // integers against floats compare by value; 1_000 is Python's digit grouping
        assertTrue(test("pc.field('score') <= 0.5", "score", 0.5));
        assertTrue(test("pc.field('n') < 1_000", "n", 999L));
        assertTrue(test("pc.field('n') > -1.5e0", "n", -1L));
        assertTrue(test("('en' == pc.field('lang'))", "lang", "en"));
    }

    @Test
    void dnfListsAreAndsOfTermsAndListsOfThoseAreOrs() {
        String and = "[(\"split\", \"=\", \"train\"), (\"n\", \"in\", [1, 2])]";
        assertTrue(test(and, "split", "train", "n", 2L));
        assertFalse(test(and, "split", "train", "n", 3L));
        assertFalse(test(and, "split", "dev", "n", 1L));
        String or = "[[('n', '<', 1)], [('n', '>=', 5), ('n', 'not in', [6])]]";
        List<Boolean> v = new ArrayList<>();
        for (long n = 0; n <= 7; n++) v.add(test(or, "n", n));
        assertEquals(List.of(true, false, false, false, false, true, false, true), v);
    }

    @Test
    void unsupportedFormsAreRefusedByName() {
        LcmException e = assertThrows(LcmException.class,
                () -> RowFilter.parse("trainer.training_data[0].filters", "pc.utf8_length(pc.field('t')) > 3"));
        assertTrue(e.getMessage().startsWith("trainer.training_data[0].filters 'pc.utf8_length(pc.field('t')) > 3': 'pc.utf8_length' is not supported"),
                e.getMessage());
        e = assertThrows(LcmException.class, () -> RowFilter.parse("filters", "pc.field('n') >= 4 & pc.field('n') < 9"));
        assertTrue(e.getMessage().contains("parentheses"), e.getMessage());
        e = assertThrows(LcmException.class, () -> test("pc.field('lang') > 3", "lang", "en"));
        assertTrue(e.getMessage().contains("cannot compare the string 'en' with the number 3"), e.getMessage());
        e = assertThrows(LcmException.class, () -> test("pc.field('n')", "n", 3L));
        assertTrue(e.getMessage().contains("does not give true/false"), e.getMessage());
        assertThrows(LcmException.class, () -> RowFilter.parse("filters", "[('n', '~', 1)]"));
    }

    @Test
    void partitionValuesComeFromKeyValueDirectories() {
        Path root = Path.of("/data/wiki");
        assertEquals(Map.of("split", "train", "year", 2024L),
                RowFilter.partitionValues(root, root.resolve("split=train/year=2024/part-0.parquet")));
        assertEquals(Map.of(), RowFilter.partitionValues(root, root.resolve("part-0.parquet")));
    }
}
