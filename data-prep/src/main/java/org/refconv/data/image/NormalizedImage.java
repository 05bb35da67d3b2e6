package org.refconv.data.image;

/** A baseline RGB JPEG ready for a shard, with what it was made from. */
public record NormalizedImage(byte[] jpeg, int width, int height, SourceFormat source, boolean reencoded) {}
