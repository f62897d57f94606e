package dev.lcm4j.concepts.sonar;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import dev.lcm4j.LcmException;
import dev.lcm4j.text.Languages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The NLLB tokenizer as fairseq2 v0.4.6 builds it ({@code NllbTokenizer} over a SentencePiece model): the model's
 * native {@code <unk>=0, <s>=1, </s>=2} and pieces are shifted by one because {@code <pad>} is inserted at 0, then
 * one {@code __lang__} control symbol per language of the card (in {@link Languages#CODES} order) and the three data
 * tags are appended. With n pieces: pad 0, unk 1, bos 2, eos 3, piece = spm id + 1, {@code __lang__} = n + 1 +
 * index, {@code <MINED_DATA>} etc. after them; vocabulary n + 206 (256,206 for the real model).
 * Source mode is {@code [__lang__] pieces [</s>]}; the target prompt is {@code [</s>, __lang__]}.
 * Segmentation is SentencePiece's own native code (DJL), so ids equal Python sentencepiece's. Thread-safe.
 */
public final class NllbTokenizer implements AutoCloseable {
    public static final int PAD = 0, UNK = 1, BOS = 2, EOS = 3;
    private static final int DATA_TAGS = 3;

    private final SpTokenizer sp;
    private final SpProcessor processor;
    private final int pieces;

    /** {@code source} names where the file came from in errors (a card name). */
    public NllbTokenizer(Path model, String source) {
        if (!Files.isRegularFile(model)) {
            throw new LcmException("SentencePiece model " + model + " (" + source + ") does not exist");
        }
        try {
            byte[] bytes = Files.readAllBytes(model);
            this.pieces = countPieces(bytes, model);
            this.sp = new SpTokenizer(bytes);
        } catch (IOException e) {
            throw new LcmException("cannot read SentencePiece model " + model + " (" + source + "): " + e.getMessage());
        }
        this.processor = sp.getProcessor();
        if (!"<unk>".equals(processor.getToken(0)) || !"<s>".equals(processor.getToken(1)) || !"</s>".equals(processor.getToken(2))) {
            sp.close();
            throw new LcmException("SentencePiece model " + model + " (" + source + ") does not have NLLB's special pieces "
                    + "<unk>=0, <s>=1, </s>=2; is it sentencepiece.source.256000.model?");
        }
    }

    /** Pieces in the SentencePiece model (256,000 for NLLB). */
    public int spmSize() {
        return pieces;
    }

    /** The model's vocabulary size this tokenizer implies: pieces + pad + 202 languages + 3 data tags. */
    public int vocabSize() {
        return pieces + 1 + Languages.CODES.size() + DATA_TAGS;
    }

    /** The {@code __lang__} token; an unknown code is an {@link LcmException}. */
    public long langId(String lang) {
        return pieces + 1L + Languages.index(lang);
    }

    /** Source ("encoder") mode: {@code [__lang__] + pieces + [</s>]}. */
    public long[] encodeSource(String text, String lang) {
        long lid = langId(lang);
        int[] ids = text.isEmpty() ? new int[0] : processor.encode(text);
        long[] out = new long[ids.length + 2];
        out[0] = lid;
        for (int i = 0; i < ids.length; i++) out[i + 1] = ids[i] + 1L;
        out[out.length - 1] = EOS;
        return out;
    }

    /** The decoder prompt ("target" mode prefix): {@code [</s>, __lang__]}. */
    public long[] targetPrompt(String lang) {
        return new long[] {EOS, langId(lang)};
    }

    /**
     * Text of generated ids. Control symbols ({@code <pad>, <s>, </s>}, languages, data tags) decode to nothing as in
     * SentencePiece; {@code <unk>} decodes to SentencePiece's " ⁇ ".
     */
    public String decode(long[] ids) {
        int[] native_ = Arrays.stream(ids).filter(i -> i == UNK || (i > EOS && i <= pieces)).mapToInt(i -> (int) i - 1).toArray();
        return native_.length == 0 ? "" : processor.decode(native_);
    }

    @Override
    public void close() {
        sp.close();
    }

    /** Counts the {@code pieces} entries (field 1) of the ModelProto: its top level is a run of tagged fields. */
    static int countPieces(byte[] b, Path file) {
        int pos = 0, n = 0;
        try {
            while (pos < b.length) {
                long[] tag = varint(b, pos);
                pos = (int) tag[1];
                int field = (int) (tag[0] >>> 3), wire = (int) (tag[0] & 7);
                switch (wire) {
                    case 0 -> pos = (int) varint(b, pos)[1];
                    case 1 -> pos += 8;
                    case 5 -> pos += 4;
                    case 2 -> {
                        long[] len = varint(b, pos);
                        pos = (int) (len[1] + len[0]);
                        if (field == 1) n++;
                    }
                    default -> throw new IllegalArgumentException("wire type " + wire);
                }
                if (pos > b.length) throw new IllegalArgumentException("truncated");
            }
        } catch (RuntimeException e) {
            throw new LcmException(file + " is not a SentencePiece model (" + e.getMessage() + ")");
        }
        if (n < 3) throw new LcmException(file + " is not a SentencePiece model (no pieces)");
        return n;
    }

    private static long[] varint(byte[] b, int pos) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte x = b[pos++];
            v |= (long) (x & 0x7f) << shift;
            if (x >= 0) return new long[] {v, pos};
        }
        throw new IllegalArgumentException("bad varint");
    }
}
