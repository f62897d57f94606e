package dev.lcm4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The reference's cleaning tests (tests/units/datapipeline/test_sentence_splitter.py) plus Python-derived cases. */
class TextCleaningTest {

    @Test
    void removeEmojisReferenceCase() {
        assertEquals("Hello ,  how are you? ", TextCleaning.removeEmojisReference("Hello 😊, 🤣 how are you? 🤔"));
        assertEquals("Hello ,  how are you? ", TextCleaning.removeEmojis("Hello 😊, 🤣 how are you? 🤔"));
    }

    @Test
    void referenceEmojiRangeEatsChineseButPipelineVariantKeepsIt() {
        // U+4F60 U+597D lie inside the reference's U+24C2..U+1F251 range, so Python's remove_emojis deletes them
        assertEquals("ok ", TextCleaning.removeEmojisReference("ok 你好"));
        assertEquals("ok 你好。한국어 カナ", TextCleaning.removeEmojis("ok 你好。한국어 カナ☀️"));
        assertEquals("flag  star  end", TextCleaning.removeEmojis("flag 🇩🇪 star ⭐ end"));
    }

    @Test
    void filterEmptyStringReferenceCases() {
        assertFalse(TextCleaning.hasNoAlnum("This is a long sentence with multiple words."));
        assertTrue(TextCleaning.hasNoAlnum("     "));
        assertTrue(TextCleaning.hasNoAlnum("... !? --"));
        assertFalse(TextCleaning.hasNoAlnum("— 3 —"));
        assertFalse(TextCleaning.hasNoAlnum("。你"));
    }

    @Test
    void removeNonPrintableReferenceCase() {
        assertEquals("HelloWorld. This is a test sentence.",
                TextCleaning.removeNonPrintable("Hello\nWorld. This is a test sentence."));
    }

    @Test
    void deescapeReferenceCase() {
        assertEquals("Hello\nWorld. This is a test\nsentence.",
                TextCleaning.deescape("Hello\\nWorld. This is a test\\nsentence."));
    }

    @Test
    void deescapeFollowsPythonUnicodeEscape() {
        // codecs.decode(r"\x41\u00e9\101\N{BULLET}", "unicode_escape") == "AéA•"
        assertEquals("AéA•", TextCleaning.deescape("\\x41\\u00e9\\101\\N{BULLET}"));
        // unknown escapes stay: codecs.decode(r"a\qb", "unicode_escape") == "a\\qb"
        assertEquals("a\\qb", TextCleaning.deescape("a\\qb"));
        // \t \\ \' and backslash-newline (a line continuation, removed)
        assertEquals("a\tb\\c'de", TextCleaning.deescape("a\\tb\\\\c\\'d\\\ne"));
        assertEquals("\uD83D\uDE0A", TextCleaning.deescape("\\U0001F60A"));
    }

    @Test
    void resplitReferenceCase() {
        assertEquals(List.of("This is a long ", "sentence that ", "should be split ", "into multiple parts."),
                TextCleaning.resplit("This is a long sentence that should be split into multiple parts.", 20, " "));
    }

    @Test
    void resplitEdgeCasesAsPython() {
        // Python: resplit("a,b,,c", 4, ",") == ['a,b,', ',c']
        assertEquals(List.of("a,b,", ",c"), TextCleaning.resplit("a,b,,c", 4, ","));
        // a piece longer than the budget is kept whole: resplit("abcdefgh ij", 4, " ") == ['abcdefgh ', 'ij']
        assertEquals(List.of("abcdefgh ", "ij"), TextCleaning.resplit("abcdefgh ij", 4, " "));
        // no separator: the whole text; empty text: nothing
        assertEquals(List.of("abc"), TextCleaning.resplit("abc", 2, "."));
        assertEquals(List.of(), TextCleaning.resplit("", 2, "."));
        // lengths are code points (Python len), not UTF-16 units: "𝐀𝐁 " is 3 long
        assertEquals(List.of("𝐀𝐁 ", "𝐂𝐃"), TextCleaning.resplit("𝐀𝐁 𝐂𝐃", 3, " "));
    }

    @Test
    void stripLikePython() {
        // Python: "\u00a0 a b\u202f\t\x85".strip() == "a b"; "\u200b".strip() == "\u200b" (not a space)
        assertEquals("a b", TextCleaning.pyStrip("\u00a0 a b\u202f\t\u0085"));
        assertEquals("\u200b", TextCleaning.pyStrip("\u200b"));
        assertEquals("", TextCleaning.pyStrip(" \u3000 "));
    }

    @Test
    void float16KnownBitPatterns() {
        assertEquals((short) 0x3C00, Float16.fromFloat(1f));
        assertEquals((short) 0xC000, Float16.fromFloat(-2f));
        assertEquals((short) 0x7BFF, Float16.fromFloat(65504f));
        assertEquals((short) 0x7C00, Float16.fromFloat(1e6f));
        assertEquals((short) 0x0001, Float16.fromFloat(0x1p-24f));
        assertEquals((short) 0x3555, Float16.fromFloat(1f / 3));      // 0.333251953125
        assertEquals((short) 0x3C00, Float16.fromFloat(1f + 0x1p-11f)); // tie rounds to even
        assertEquals((short) 0x3C02, Float16.fromFloat(1f + 3 * 0x1p-11f));
        assertEquals(0.333251953125f, Float16.toFloat((short) 0x3555));
        assertEquals(65504f, Float16.toFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, Float16.toFloat((short) 0x0001));
    }
}
