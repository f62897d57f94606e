package dev.lcm4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.concepts.ConceptDecoder;
import dev.lcm4j.concepts.ConceptModels;
import dev.lcm4j.text.Languages;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.io.AtomicFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import com.fasterxml.jackson.core.JsonProcessingException;

/** {@code ./lcm decode}: concept vectors to sentences with a concept decoder card or a sentence bank. */
@Command(name = "decode", description = {"Turns concept vectors back into sentences with a concept decoder: a card",
        "(e.g. text_sonar_basic_decoder) or bank:DIR, the retrieval decoder over a prepared dataset's sentence bank.",
        "Prints one document per line (its sentences joined by spaces), or writes JSON lines with --output."})
final class DecodeCommand implements Runnable {
    @Option(names = "--decoder", required = true, description = "Decoder card, or bank:DATASET_DIR / bank:FILE") String decoder;
    @Option(names = "--lang", defaultValue = Languages.DEFAULT, description = "Target language, FLORES-200 (default: ${DEFAULT-VALUE})") String lang;
    @Option(names = "--input", required = true, description = ".npy float32 [B,T,D] or LCM parquet (e.g. generate's output)") Path input;
    @Option(names = "--column", defaultValue = "text_sentences", description = "Sentence column of parquet input; vectors are <column>_sonar_emb") String column;
    @Option(names = "--output", description = "JSON lines file: {\"id\", \"sentences\", \"text\"} per document") Path output;

    @picocli.CommandLine.Mixin DeviceOption device = new DeviceOption();

    @Override
    public void run() {
        ConceptModels.Placement placement = device.placement(); // before anything is read or written
        Languages.check(lang);
        try (ConceptDecoder dec = ConceptModels.decoder(decoder, placement)) {
            List<float[][]> docs = ConceptFiles.read(input, DataColumns.sonar(column), dec.dim());
            List<float[]> flat = new ArrayList<>();
            for (float[][] d : docs) for (float[] v : d) flat.add(v);
            List<String> sentences = flat.isEmpty() ? List.of() : dec.decode(flat.toArray(new float[0][]), lang);
            StringBuilder out = new StringBuilder();
            ObjectMapper json = new ObjectMapper();
            int k = 0;
            for (int i = 0; i < docs.size(); i++) {
                List<String> doc = sentences.subList(k, k + docs.get(i).length);
                k += docs.get(i).length;
                if (output == null) {
                    System.out.println(String.join(" ", doc));
                } else {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("id", i);
                    row.put("sentences", doc);
                    row.put("text", String.join(" ", doc));
                    try {
                        out.append(json.writeValueAsString(row)).append('\n');
                    } catch (JsonProcessingException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
            if (output != null) {
                AtomicFiles.writeString(output, out.toString());
                System.out.printf("decoded %d documents (%d sentences) with %s to %s%n", docs.size(), sentences.size(), dec.name(), output);
            }
        }
    }
}
