package dev.lcm4j.text;

import dev.lcm4j.LcmException;
import dev.lcm4j.text.Languages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import opennlp.tools.sentdetect.SentenceDetectorME;
import opennlp.tools.sentdetect.SentenceModel;
import opennlp.tools.util.Span;
import java.util.HashMap;

/**
 * OpenNLP maximum-entropy sentence detection. {@code opennlp} uses the Universal Dependencies models on the class
 * path (English and German); {@code opennlp:FILE} uses one user model for every language. Models are shared,
 * detectors are not thread-safe, so each thread gets its own.
 */
final class OpenNlpSplitter implements RawSplitter {
    /** ISO 639-3 to the class-path model shipped by opennlp-models-sentdetect-*. */
    static final Map<String, String> BUILT_IN = Map.of(
            "eng", "/opennlp-en-ud-ewt-sentence-1.3-2.5.4.bin",
            "deu", "/opennlp-de-ud-gsd-sentence-1.3-2.5.4.bin");

    private final Path userModel;
    private final Map<String, SentenceModel> models = new ConcurrentHashMap<>();
    private final ThreadLocal<Map<String, SentenceDetectorME>> detectors = ThreadLocal.withInitial(HashMap::new);

    OpenNlpSplitter(Path userModel) {
        this.userModel = userModel;
        if (userModel != null) {
            if (!Files.isRegularFile(userModel))
                throw new LcmException("OpenNLP sentence model " + userModel + " does not exist: pass opennlp:FILE with a SentenceModel .bin file, or plain opennlp");
            models.put("*", read(userModel.toString(), () -> Files.newInputStream(userModel)));
        }
    }

    @Override
    public List<String> segment(String text, String lang) {
        String key = userModel != null ? "*" : Languages.iso3(lang);
        SentenceDetectorME det = detectors.get().computeIfAbsent(key, k -> new SentenceDetectorME(model(k, lang)));
        List<String> out = new ArrayList<>();
        int prev = 0;
        // keep the text between spans attached so nothing is lost; the pipeline strips
        for (Span s : det.sentPosDetect(text)) {
            out.add(text.substring(prev, s.getEnd()));
            prev = s.getEnd();
        }
        if (prev < text.length()) out.add(text.substring(prev));
        return out;
    }

    private SentenceModel model(String key, String lang) {
        return models.computeIfAbsent(key, k -> {
            String res = BUILT_IN.get(k);
            if (res == null)
                throw new LcmException("no OpenNLP sentence model for language " + lang + ": built-in models cover "
                        + String.join(", ", BUILT_IN.keySet().stream().sorted().toList())
                        + "; use --splitter icu, or opennlp:FILE with your own model");
            return read(res, () -> {
                InputStream in = OpenNlpSplitter.class.getResourceAsStream(res);
                if (in == null) throw new IOException("class-path resource " + res + " missing");
                return in;
            });
        });
    }

    private interface Opener {
        InputStream open() throws IOException;
    }

    private static SentenceModel read(String name, Opener opener) {
        try (InputStream in = opener.open()) {
            return new SentenceModel(in);
        } catch (IOException e) {
            throw new LcmException("cannot read OpenNLP sentence model " + name + ": " + e.getMessage(), e);
        }
    }
}
