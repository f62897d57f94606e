package dev.lcm4j.text;

import dev.lcm4j.LcmException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import opennlp.tools.sentdetect.SentenceDetectorME;
import opennlp.tools.sentdetect.SentenceModel;

/**
 * Apache OpenNLP's maximum-entropy sentence detector with the Universal Dependencies models of
 * {@code opennlp-models-sentdetect-<lang>} on the class path (lcm4j ships English and German; add more model jars, e.g.
 * {@code opennlp-models-sentdetect-fr}, to the class path and they are found by name).
 */
public final class OpenNlpSentenceSplitter implements SentenceSplitter {
    private static final String[] TREEBANKS = {"ewt", "gsd", "gum", "partut", "alpino", "lassysmall", "bosque", "ancora",
            "isdt", "pdt", "lfg", "tdt", "syntagrus", "bdt", "kaist", "set", "hdt", "padt", "idt", "ddt", "iu", "btb", "edt",
            "lvtb", "seraji", "imst", "ftb", "sequoia", "ttb", "rrt", "snk", "ssj", "bokmaal", "talbanken", "iarr", "kk",
            "glc", "cac", "armtdp", "idt", "tb"};
    private final Map<String, SentenceModel> models = new ConcurrentHashMap<>();

    @Override
    public List<String> split(String text, String lang) {
        String iso2 = IcuSentenceSplitter.iso2(lang);
        SentenceModel model = models.computeIfAbsent(iso2, OpenNlpSentenceSplitter::load);
        // SentenceDetectorME keeps per-call state: one per call (cheap next to detection).
        String[] sentences = new SentenceDetectorME(model).sentDetect(text);
        List<String> out = new ArrayList<>(sentences.length);
        for (String s : sentences) {
            String t = s.strip();
            if (!t.isEmpty()) out.add(t);
        }
        return out;
    }

    private static SentenceModel load(String iso2) {
        for (String tb : TREEBANKS) {
            String res = "/opennlp-" + iso2 + "-ud-" + tb + "-sentence-1.3-2.5.4.bin";
            try (InputStream in = OpenNlpSentenceSplitter.class.getResourceAsStream(res)) {
                if (in != null) return new SentenceModel(in);
            } catch (IOException e) {
                throw new LcmException("cannot read the OpenNLP sentence model " + res + ": " + e.getMessage());
            }
        }
        throw new LcmException("no OpenNLP sentence model for language '" + iso2 + "' on the class path (lcm4j ships en and de);"
                + " add org.apache.opennlp:opennlp-models-sentdetect-" + iso2 + " or use --splitter icu");
    }
}
