package org.refconv.data.prepare;

import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/** Columns of a shard. One row per image; {@code image} holds baseline RGB JPEG bytes. */
public final class ShardSchema {
    private ShardSchema() {}

    public static final String KEY = "key";
    public static final String LABEL = "label";
    public static final String WNID = "wnid";
    public static final String IMAGE = "image";
    public static final String HEIGHT = "height";
    public static final String WIDTH = "width";
    public static final String SOURCE_FORMAT = "source_format";

    public static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
      message image_shard {
        required binary key (STRING);
        required int32 label;
        required binary wnid (STRING);
        required binary image;
        required int32 height;
        required int32 width;
        required binary source_format (STRING);
      }""");
}
