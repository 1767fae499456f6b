package org.fusekicdc.core.wire;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.function.UnaryOperator;

import org.apache.jena.rdfpatch.RDFChanges;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.fusekicdc.core.internal.wire.JsonChangeWriter;
import org.fusekicdc.core.internal.wire.PatchTextToThrift;
import org.fusekicdc.core.internal.wire.PatchTextWriter;

/** The message formats every sink offers, by their {@code cdc:format} names. */
public final class MessageFormats {
    /** RDF Patch text, {@code application/rdf-patch}: the change log's own form. */
    public static final MessageFormat TEXT = new RdfPatchText();
    /** RDF Patch binary (Thrift), {@code application/rdf-patch+thrift}. */
    public static final MessageFormat BINARY = new RdfPatchBinary();
    /** A JSON change event, {@code application/json}; its JSON Schema is {@link #JSON_SCHEMA_RESOURCE}. */
    public static final MessageFormat JSON = new JsonChangeEvent();

    /**
     * Media type of a JSON change event: plain JSON, which every JSON consumer (and the
     * CloudEvents SDKs) take as such; CloudEvents name the schema in {@code dataschema}.
     */
    public static final String JSON_CONTENT_TYPE = "application/json";
    /** The JSON Schema of a JSON change event, as a class-path resource. */
    public static final String JSON_SCHEMA_RESOURCE = "/org/fusekicdc/core/wire/change-event.schema.json";
    /** The schema's {@code $id}. */
    public static final String JSON_SCHEMA_ID = "https://fuseki-cdc.org/schemas/change-event/1.json";

    /** Every format, in documentation order. */
    public static final List<MessageFormat> ALL = List.of(TEXT, BINARY, JSON);

    /** The {@code cdc:format} values, in documentation order. */
    public static final List<String> NAMES = ALL.stream().map(MessageFormat::name).toList();

    private MessageFormats() {}

    /** The format named {@code name} (a {@link #NAMES} value). */
    public static MessageFormat byName(String name) {
        for ( MessageFormat f : ALL )
            if ( f.name().equals(name) )
                return f;
        throw new IllegalArgumentException("No message format '" + name + "'; use one of " + String.join(", ", NAMES));
    }

    /** The format whose media type is {@code contentType} ({@link PatchRecord#TEXT}, {@link PatchRecord#BINARY} or {@link #JSON_CONTENT_TYPE}). */
    public static MessageFormat byContentType(String contentType) {
        for ( MessageFormat f : ALL )
            if ( f.contentType().equals(contentType) )
                return f;
        throw new IllegalArgumentException("No message format for media type '" + contentType + "'");
    }

    private static final class RdfPatchText implements MessageFormat {
        @Override
        public String name() {
            return "text";
        }

        @Override
        public String contentType() {
            return PatchRecord.TEXT;
        }

        @Override
        public boolean isLogText() {
            return true;
        }

        @Override
        public void write(PatchRecord patch, UnaryOperator<RDFChanges> filter, OutputStream out) throws IOException {
            try (InputStream in = patch.openText()) {
                if ( filter == UnaryOperator.<RDFChanges>identity() ) {
                    in.transferTo(out);
                    return;
                }
                RDFChangesWriterText w = PatchTextWriter.create(out);
                new RDFPatchReaderText(in).apply(filter.apply(w));
                w.finish();
            }
        }
    }

    private static final class RdfPatchBinary implements MessageFormat {
        @Override
        public String name() {
            return "binary";
        }

        @Override
        public String contentType() {
            return PatchRecord.BINARY;
        }

        @Override
        public void write(PatchRecord patch, UnaryOperator<RDFChanges> filter, OutputStream out) throws IOException {
            try (InputStream in = patch.openText()) {
                // The whole patch straight from the log's text; a filter needs Jena's changes.
                if ( filter == UnaryOperator.<RDFChanges>identity() )
                    PatchTextToThrift.transcode(in, out);
                else
                    PatchTextToThrift.viaJena(in, filter, out);
            }
        }
    }

    private static final class JsonChangeEvent implements MessageFormat {
        @Override
        public String name() {
            return "json";
        }

        @Override
        public String contentType() {
            return JSON_CONTENT_TYPE;
        }

        @Override
        public void write(PatchRecord patch, UnaryOperator<RDFChanges> filter, OutputStream out) throws IOException {
            try (InputStream in = patch.openText()) {
                JsonChangeWriter w = new JsonChangeWriter(patch, out);
                new RDFPatchReaderText(in).apply(filter.apply(w));
                w.close();
            }
        }
    }
}
