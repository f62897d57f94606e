package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-dataset options of the reference's {@code ParquetDatasetConfig} that change which rows a dataset yields and
 * how they look, applied by {@link DatasetPipeline} in the reference's order.
 *
 * @param filters          row filter ({@code filters}), or null
 * @param partitionFilters filter on the {@code key=value} directories ({@code partition_filters}), or null; files it
 *                         rejects are not read, and as it reads only partition keys every row of a kept file passes it
 * @param limit            read only the first files / row groups / rows ({@code limit}), or null
 * @param qualityColumn    per-sentence scores ({@code source_quality_column}), or null
 * @param qualityRange     [min, max] the scores of a kept document lie in ({@code source_quality_range}; a null
 *                         bound is open), or null
 * @param sourceSequences  the source assembled from columns and constant texts ({@code source_sequences}), or null
 * @param targetSequences  the same for the target, or null
 * @param affixes          this dataset's own prefix/suffix texts (they win over the datacard's), or null
 * @param shardingInMemory every rank reads every row group and the batches are sharded ({@code sharding_in_memory})
 */
public record DatasetOptions(RowFilter filters, RowFilter partitionFilters, Limit limit, String qualityColumn,
                             List<Double> qualityRange, List<SequencePart> sourceSequences,
                             List<SequencePart> targetSequences, Affixes affixes, boolean shardingInMemory) {
    public static final DatasetOptions NONE = new DatasetOptions(null, null, null, null, null, null, null, null, false);

    public DatasetOptions {
        if (qualityRange != null && qualityColumn == null) {
            throw new LcmException("source_quality_range is set but source_quality_column is not; name the column of"
                    + " per-sentence quality scores");
        }
    }

    /**
     * Reference {@code ParquetDatasetLimitOptions}: keep the first {@code max(1, round(fractionOfFiles * files))}
     * files, then the first {@code nbFiles}; of their row groups, in file order, stop after {@code nbFragments}, or
     * after the row group that brings the row count to {@code nbRows} (whole row groups: it may overshoot).
     */
    public record Limit(Double fractionOfFiles, Integer nbFiles, Integer nbFragments, Long nbRows) {
        public Limit {
            if (fractionOfFiles != null && !(fractionOfFiles > 0 && fractionOfFiles <= 1)) {
                throw new LcmException("limit.fraction_of_files must be in (0, 1], got " + fractionOfFiles);
            }
            for (Object[] v : new Object[][] {{"nb_files", nbFiles}, {"nb_fragments", nbFragments}, {"nb_rows", nbRows}}) {
                if (v[1] != null && ((Number) v[1]).longValue() < 1) {
                    throw new LcmException("limit." + v[0] + " must be >= 1, got " + v[1]);
                }
            }
        }

        /** The files kept, in order. */
        List<java.nio.file.Path> files(List<java.nio.file.Path> files) {
            List<java.nio.file.Path> out = files;
            if (fractionOfFiles != null) {
                out = out.subList(0, (int) Math.max(Math.round(fractionOfFiles * out.size()), 1));
            }
            if (nbFiles != null && nbFiles < out.size()) out = out.subList(0, nbFiles);
            return out;
        }

        /** The row groups kept, in order. */
        List<Fragment> fragments(List<Fragment> fragments) {
            List<Fragment> out = new ArrayList<>();
            long rows = 0;
            for (Fragment f : fragments) {
                out.add(f);
                rows += f.rows();
                if (nbFragments != null && out.size() >= nbFragments) break;
                if (nbRows != null && rows >= nbRows) break;
            }
            return out;
        }
    }

    /**
     * One piece of an assembled source or target (reference {@code SonarTextColumn}): a constant text (one sentence,
     * embedded by the caller like an affix) or a sentences column with its vectors column.
     */
    public record SequencePart(String textValue, String textColumn, String sonarColumn) {
        public SequencePart {
            if ((textValue == null) == (textColumn == null)) {
                throw new LcmException("a source_sequences/target_sequences item sets exactly one of text_value and"
                        + " text_column, got text_value=" + textValue + ", text_column=" + textColumn);
            }
            if (textColumn != null && sonarColumn == null) sonarColumn = textColumn + "_sonar_emb";
        }
    }

    /** Constant texts of the sequences, which need vectors like affixes. */
    public List<String> sequenceTexts() {
        List<String> out = new ArrayList<>();
        for (List<SequencePart> parts : java.util.Arrays.asList(sourceSequences, targetSequences)) {
            if (parts == null) continue;
            for (SequencePart p : parts) if (p.textValue() != null && !out.contains(p.textValue())) out.add(p.textValue());
        }
        return out;
    }
}
