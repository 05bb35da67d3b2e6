package org.refconv.data.prepare;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * What one task wrote: a committed-to-temp shard file and the inputs it had to leave out.
 *
 * @param file path relative to the dataset root, e.g. {@code train/part-00003.parquet}
 * @param labelCounts rows per label (index = label)
 * @param sourceFormats rows per source format label
 */
public record ShardResult(
        String file,
        long rows,
        long bytes,
        String sha256,
        int rowGroups,
        long reencoded,
        long[] labelCounts,
        Map<String, Long> sourceFormats,
        List<QuarantinedImage> quarantined)
        implements Serializable {}
