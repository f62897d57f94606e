package dev.lcm4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The reference's cases (tests/units/datapipeline/test_sentence_splitter.py), expected values as the reference states them. */
class TextCleaningTest {
    @Test
    void removeEmojis() {
        assertEquals("Hello ,  how are you? ", TextCleaning.removeEmojis("Hello 😊, 🤣 how are you? 🤔"));
        assertEquals("Hello ,  how are you? ", TextCleaning.removeEmojisKeepingText("Hello 😊, 🤣 how are you? 🤔"));
        // The reference's range U+24C2..U+1F251 swallows CJK text; lcm4j's pipeline variant keeps it.
        assertEquals("", TextCleaning.removeEmojis("你好。"));
        assertEquals("你好。", TextCleaning.removeEmojisKeepingText("你好。☀"));
    }

    @Test
    void filterEmptyString() {
        assertFalse(TextCleaning.filterEmptyString("This is a long sentence with multiple words."));
        assertTrue(TextCleaning.filterEmptyString("     "));
        assertTrue(TextCleaning.filterEmptyString(". -- !"));
        assertFalse(TextCleaning.filterEmptyString("ä"));
    }

    @Test
    void removeNonPrintableChars() {
        assertEquals("HelloWorld. This is a test sentence.", TextCleaning.removeNonPrintableChars("Hello\nWorld. This is a test sentence."));
    }

    @Test
    void deescapeSpecialChars() {
        assertEquals("Hello\nWorld. This is a test\nsentence.", TextCleaning.deescapeSpecialChars("Hello\\nWorld. This is a test\\nsentence."));
        assertEquals("tab\there \\q A é", TextCleaning.deescapeSpecialChars("tab\\there \\q \\x41 \\u00e9"));
    }

    @Test
    void resplit() {
        assertEquals(List.of("This is a long ", "sentence that ", "should be split ", "into multiple parts."),
                TextCleaning.resplit("This is a long sentence that should be split into multiple parts.", 20, " "));
        // A piece longer than the budget stays whole; separators at the ends give empty pieces as in Python.
        assertEquals(List.of("abcdefghijklmnop,", "x"), TextCleaning.resplit("abcdefghijklmnop,x", 5, ","));
        assertEquals(List.of("a.", "."), TextCleaning.resplit("a..", 2, "."));
    }
}
