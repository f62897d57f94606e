package dev.lcm4j.prepare;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * The built-in Europarl corpus and the language filter. Labels come from the session titles, not the texts: titles
 * such as "Explanations of vote" recur in every language, and each title below was assigned its language by hand.
 * The corpus is read here independently (a plain GZIP + UTF-8 reader over the same resource).
 */
class EuroparlLanguageIdTest {
    /** Session titles (hand-labelled) -> FLORES-200 code. */
    static final Map<String, String> TITLES = Map.ofEntries(
            Map.entry("Explanations of vote", "eng_Latn"), // not "Votes": English and French share it
            Map.entry("Stimmerklärungen", "deu_Latn"), Map.entry("Abstimmungen", "deu_Latn"),
            Map.entry("Explications de vote", "fra_Latn"),
            Map.entry("Dichiarazioni di voto", "ita_Latn"), Map.entry("Votazioni", "ita_Latn"), Map.entry("VOTAZIONI", "ita_Latn"),
            Map.entry("Explicaciones de voto", "spa_Latn"), Map.entry("Votaciones", "spa_Latn"), Map.entry("VOTACIONES", "spa_Latn"),
            Map.entry("Declarações de voto", "por_Latn"), Map.entry("Votações", "por_Latn"), Map.entry("VOTAÇÕES", "por_Latn"),
            Map.entry("Stemverklaringen", "nld_Latn"), Map.entry("Stemming", "nld_Latn"),
            Map.entry("Stemmeforklaringer", "dan_Latn"),
            Map.entry("Röstförklaringar", "swe_Latn"), Map.entry("Omröstning", "swe_Latn"),
            Map.entry("Äänestysselitykset", "fin_Latn"),
            Map.entry("Selgitused hääletuse kohta", "est_Latn"),
            Map.entry("A szavazáshoz fűzött indokolások", "hun_Latn"),
            Map.entry("Wyjaśnienia dotyczące sposobu głosowania", "pol_Latn"),
            Map.entry("Vysvětlení hlasování", "ces_Latn"),
            Map.entry("Vysvetlenia hlasovania", "slk_Latn"),
            Map.entry("Obrazložitev glasovanja", "slv_Latn"),
            Map.entry("Explicații privind votul", "ron_Latn"), Map.entry("Explicaţii privind votul", "ron_Latn"),
            Map.entry("Paaiškinimai dėl balsavimo", "lit_Latn"),
            Map.entry("Balsojumu skaidrojumi", "lvs_Latn"),
            Map.entry("Αιτιολογήσεις ψήφου", "ell_Grek"),
            Map.entry("Обяснение на вот", "bul_Cyrl"));

    @Test
    void languageIdOnTitleLabelledDocuments() throws Exception {
        Map<String, int[]> perLang = new TreeMap<>(); // lang -> {correct, total}
        int correct = 0, total = 0;
        Map<String, Integer> confusions = new TreeMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                getClass().getResourceAsStream(EuroparlSource.RESOURCE)), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.split("\t", 3);
                String label = TITLES.get(f[0]);
                if (label == null) continue;
                String got = LanguageId.identify(f[2]);
                int[] c = perLang.computeIfAbsent(label, k -> new int[2]);
                c[1]++;
                total++;
                if (label.equals(got)) {
                    c[0]++;
                    correct++;
                } else {
                    confusions.merge(label + "->" + got, 1, Integer::sum);
                }
            }
        }
        System.out.printf("language id: %d/%d = %.4f correct on title-labelled Europarl documents; confusions %s%n",
                correct, total, correct / (double) total, confusions);
        assertEquals(21, perLang.size(), "every Europarl language is labelled: " + perLang.keySet());
        assertTrue(total > 1500, "labelled documents: " + total);
        assertTrue(correct >= 0.99 * total, correct + "/" + total + " " + confusions);
        for (Map.Entry<String, int[]> e : perLang.entrySet()) {
            assertTrue(e.getValue()[0] >= 0.95 * e.getValue()[1], e.getKey() + ": " + e.getValue()[0] + "/" + e.getValue()[1]);
        }
    }

    @Test
    void europarlSourceReadsEveryLineAndCountsRepairs() {
        // independent reader: line count, the title-labelled English ids and U+FFFD lines
        long lines = 0;
        int withReplacement = 0;
        Map<String, String> firstTexts = new HashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                getClass().getResourceAsStream(EuroparlSource.RESOURCE)), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                lines++;
                if (line.indexOf('\uFFFD') >= 0) withReplacement++;
                if (lines <= 3) firstTexts.put(Long.toString(lines), line.split("\t", 3)[2]);
            }
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        assertEquals(17_597, lines); // the corpus's documented size
        assertEquals(8, withReplacement); // counted with Python: lines containing U+FFFD

        long n = 0;
        try (EuroparlSource s = new EuroparlSource()) {
            for (SourceDocument d; (d = s.next()) != null; ) {
                n++;
                assertEquals(Long.toString(n), d.id());
                assertFalse(d.text().contains("  "), "runs of spaces become paragraph breaks");
                assertFalse(d.text().contains("\uFFFD"));
                if (firstTexts.containsKey(d.id())) {
                    assertEquals(firstTexts.get(d.id()).strip().replaceAll(" {2,}", "\n"), d.text());
                }
            }
            assertEquals(lines, n);
            assertEquals(8L, s.counters().get("replacement_char_lines"));
            assertEquals(0L, s.counters().get("malformed_lines"));
        }
    }

    @Test
    void truncatedUtf8TailIsDetected() {
        byte[] euro = "a€".getBytes(StandardCharsets.UTF_8); // 'a' + 3-byte sequence
        assertEquals(euro.length, Utf8Lines.withoutTruncatedTail(euro));
        assertEquals(1, Utf8Lines.withoutTruncatedTail(java.util.Arrays.copyOf(euro, 3)));
        assertEquals(1, Utf8Lines.withoutTruncatedTail(java.util.Arrays.copyOf(euro, 2)));
        byte[] e2 = "é".getBytes(StandardCharsets.UTF_8);
        assertEquals(0, Utf8Lines.withoutTruncatedTail(java.util.Arrays.copyOf(e2, 1)));
        assertEquals(2, Utf8Lines.withoutTruncatedTail(e2));
    }
}
