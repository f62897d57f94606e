package dev.lcm4j.concepts.sonar;

import dev.lcm4j.LcmException;
import dev.lcm4j.io.DType;
import dev.lcm4j.io.StoredTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The Hugging Face port of the SONAR text encoder ({@code cointegrated/SONAR_200_text_encoder}: a
 * {@code transformers.M2M100Encoder} in safetensors) read as a fairseq2 state dict. The architecture is the same
 * (scaled embeddings, the same sinusoids from position 2, pre-norm layers, final LayerNorm); only the names differ, and
 * the four special tokens' embedding rows, which HF orders {@code <s>, <pad>, </s>, <unk>} where fairseq2 has
 * {@code <pad>, <unk>, <s>, </s>} ({@link #SPECIAL_ROWS}). Piece and language rows are identical.
 */
final class HfSonarEncoderWeights {
    /** fairseq2 row r of the embedding is HF row SPECIAL_ROWS[r], for r < 4. */
    static final long[] SPECIAL_ROWS = {1, 3, 0, 2};
    private static final Pattern LAYER = Pattern.compile("layers\\.(\\d+)\\.(.+)");
    private static final Map<String, String> LAYER_NAMES = Map.of(
            "self_attn.q_proj", "self_attn.q_proj", "self_attn.k_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.v_proj",
            "self_attn.out_proj", "self_attn.output_proj", "self_attn_layer_norm", "self_attn_layer_norm",
            "fc1", "ffn.inner_proj", "fc2", "ffn.output_proj", "final_layer_norm", "ffn_layer_norm");

    private HfSonarEncoderWeights() {
    }

    /** The fairseq2-named state of an M2M100Encoder safetensors file (embedding rows not yet permuted). */
    static Map<String, StoredTensor> readAsFairseq2(Path file) {
        Map<String, StoredTensor> out = new LinkedHashMap<>();
        readSafetensors(file).forEach((hfName, t) -> {
            String k = hfName.startsWith("model.encoder.") ? hfName.substring(14) : hfName.startsWith("encoder.") ? hfName.substring(8) : hfName;
            if (k.startsWith("embed_positions.")) return;   // sinusoids are computed, never stored
            String param = k.substring(k.lastIndexOf('.') + 1);
            String module = k.substring(0, k.lastIndexOf('.'));
            String fs2;
            Matcher m = LAYER.matcher(module);
            if (module.equals("embed_tokens")) fs2 = "encoder_frontend.embed";
            else if (module.equals("layer_norm")) fs2 = "layer_norm";
            else if (m.matches() && LAYER_NAMES.containsKey(m.group(2))) fs2 = "encoder.layers." + m.group(1) + "." + LAYER_NAMES.get(m.group(2));
            else throw new LcmException(file + ": tensor '" + hfName + "' is not part of an M2M100 SONAR encoder; is this "
                    + "cointegrated/SONAR_200_text_encoder's model.safetensors?");
            out.put(fs2 + "." + param, t);
        });
        return out;
    }

    /** Minimal safetensors reader: u64 header length, JSON header, then raw little-endian tensors (each mapped). */
    @SuppressWarnings("unchecked")
    static Map<String, StoredTensor> readSafetensors(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(lenBuf, 0) != 8) throw new LcmException(file + " is not a safetensors file (too short)");
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > 100_000_000 || 8 + headerLen > ch.size()) {
                throw new LcmException(file + " is not a safetensors file (header length " + headerLen + ")");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            ch.read(header, 8);
            Object parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(new String(header.array(), StandardCharsets.UTF_8));
            if (!(parsed instanceof Map<?, ?> entries)) throw new LcmException(file + " is not a safetensors file (header is not a JSON object)");
            long dataStart = 8 + headerLen;
            Map<String, StoredTensor> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : entries.entrySet()) {
                String name = String.valueOf(e.getKey());
                if (name.equals("__metadata__")) continue;
                Map<String, Object> info = (Map<String, Object>) e.getValue();
                DType dtype = switch (String.valueOf(info.get("dtype"))) {
                    case "F32" -> DType.FLOAT32;
                    case "F16" -> DType.FLOAT16;
                    case "BF16" -> DType.BFLOAT16;
                    default -> throw new LcmException(file + ": tensor " + name + " has dtype " + info.get("dtype") + "; expected F32, F16 or BF16");
                };
                long[] shape = ((List<?>) info.get("shape")).stream().mapToLong(x -> ((Number) x).longValue()).toArray();
                List<?> off = (List<?>) info.get("data_offsets");
                long begin = ((Number) off.get(0)).longValue(), end = ((Number) off.get(1)).longValue();
                if (dataStart + end > ch.size()) throw new LcmException(file + " is truncated (tensor " + name + ")");
                ByteBuffer data = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, end - begin).order(ByteOrder.LITTLE_ENDIAN);
                out.put(name, new StoredTensor(dtype, shape, StoredTensor.contiguousStrides(shape), 0, data));
            }
            return out;
        } catch (IOException e) {
            throw new LcmException("cannot read " + file + ": " + e.getMessage());
        }
    }
}
