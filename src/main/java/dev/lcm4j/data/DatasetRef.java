package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A reference to a dataset in the reference's syntax {@code card[=split][:weight]}, e.g. {@code wiki},
 * {@code wiki:0.2}, {@code wiki=dev:0.2}.
 *
 * @param split  partition value ({@code split=<split>} directory), or {@code null} for all partitions
 * @param weight sampling weight, {@code null} when not given (then the card's or 1.0 applies)
 */
public record DatasetRef(String card, String split, Double weight) {
    private static final Pattern SYNTAX =
            Pattern.compile("^(?<card>[a-zA-Z0-9_]+)=?(?<split>[a-zA-Z0-9_]*)?:?(?<weight>\\d+(?:\\.\\d+)?)?$");

    public static DatasetRef parse(String text) {
        Matcher m = SYNTAX.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new LcmException("invalid dataset reference '" + text
                    + "': expected NAME, NAME=SPLIT, NAME:WEIGHT or NAME=SPLIT:WEIGHT (e.g. wiki=train:0.5)");
        }
        String split = m.group("split");
        String weight = m.group("weight");
        return new DatasetRef(m.group("card"), split == null || split.isEmpty() ? null : split,
                weight == null ? null : Double.valueOf(weight));
    }

    /** The reference's config name: {@code card=split} or {@code card}. */
    public String displayName() {
        return split == null ? card : card + "=" + split;
    }
}
