package dev.lcm4j.cli;

import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.concepts.ConceptModels;
import dev.lcm4j.text.Languages;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmParquetWriter;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;

/** {@code ./lcm encode}: sentences to concept vectors with a concept encoder card. */
@Command(name = "encode", description = {"Encodes sentences into concept vectors with a concept encoder card.",
        "Input: one sentence per line; an empty line starts a new document (- reads standard input).",
        "Output: .npy float32 [documents, sentences, D] (+ .lengths.npy when ragged) or LCM parquet with the sentences."})
final class EncodeCommand implements Runnable {
    @Option(names = "--encoder", defaultValue = ConceptModels.DEFAULT_ENCODER, description = "Concept encoder card (default: ${DEFAULT-VALUE})") String encoder;
    @Option(names = "--lang", defaultValue = Languages.DEFAULT, description = "FLORES-200 code (default: ${DEFAULT-VALUE})") String lang;
    @Option(names = "--input", required = true, description = "Text file, one sentence per line, or -") String input;
    @Option(names = "--output", required = true, description = ".npy or .parquet") Path output;
    @Option(names = "--column", defaultValue = "text_sentences", description = "Sentence column of parquet output; vectors go to <column>_sonar_emb") String column;

    @picocli.CommandLine.Mixin DeviceOption device = new DeviceOption();

    @Override
    public void run() {
        ConceptModels.Placement placement = device.placement(); // before anything is read or written
        Languages.check(lang);
        if (!ConceptFiles.isParquet(output) && !output.toString().endsWith(".npy")) {
            throw new LcmException("output " + output + ": use a .npy or .parquet file name");
        }
        List<List<String>> docs = readDocuments(input);
        if (docs.isEmpty()) throw new LcmException("input " + input + " holds no sentences");
        List<String> all = new ArrayList<>();
        docs.forEach(all::addAll);
        float[][] vecs;
        try (ConceptEncoder enc = ConceptModels.encoder(encoder, placement)) {
            vecs = enc.encode(all, lang);
        }
        List<float[][]> seqs = new ArrayList<>();
        List<Document> rows = new ArrayList<>();
        int k = 0;
        for (int i = 0; i < docs.size(); i++) {
            float[][] doc = new float[docs.get(i).size()][];
            for (int j = 0; j < doc.length; j++) doc[j] = vecs[k++];
            seqs.add(doc);
            rows.add(new Document(String.valueOf(i), docs.get(i), doc));
        }
        if (ConceptFiles.isParquet(output)) {
            LcmParquetWriter.write(output, DataColumns.sonar(column).withId("id"), vecs[0].length, 1024, rows);
        } else {
            ConceptFiles.write(output, seqs, DataColumns.sonar(column));
        }
        System.out.printf("encoded %d sentences in %d documents with %s (dim %d) to %s%n", all.size(), docs.size(), encoder, vecs[0].length, output);
    }

    static List<List<String>> readDocuments(String input) {
        String text;
        try {
            byte[] bytes = input.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(input));
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            throw new LcmException("input " + input + " does not exist");
        } catch (CharacterCodingException e) {
            throw new LcmException("input " + input + " is not valid UTF-8; convert it (e.g. iconv -t UTF-8)");
        } catch (IOException e) {
            throw new LcmException("cannot read " + input + ": " + e.getMessage());
        }
        List<List<String>> docs = new ArrayList<>();
        List<String> cur = new ArrayList<>();
        for (String line : text.split("\\R", -1)) {
            String s = line.strip();
            if (s.isEmpty()) {
                if (!cur.isEmpty()) docs.add(cur);
                cur = new ArrayList<>();
            } else {
                cur.add(s);
            }
        }
        if (!cur.isEmpty()) docs.add(cur);
        return docs;
    }
}
