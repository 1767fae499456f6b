package org.fusekicdc.core.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.apache.jena.rdfpatch.RDFChanges;

/**
 * Patches as CloudEvents 1.0: {@code id} = the patch id, {@code source} = the dataset's URI,
 * {@code type} = a reverse-DNS name, {@code time} = the commit time, {@code datacontenttype} =
 * the message format's media type, {@code dataschema} = the JSON change event's schema for the
 * JSON format, and the version as the {@code sequence} extension, zero-padded to 19 digits so
 * that its string order (which the extension specifies) is the version order.
 * <p>
 * Binary content mode puts the attributes in headers ({@link #binaryHeaders}) beside the
 * patch headers, the body unchanged; structured mode ({@link #writeStructured}) puts the
 * event in a JSON body.
 *
 * @param source the {@code source} attribute (a URI reference)
 * @param type   the {@code type} attribute
 */
public record CloudEvents(String source, String type) {
    /** The {@code type} used unless configured. */
    public static final String DEFAULT_TYPE = "org.fusekicdc.patch";
    /** Media type of a structured-mode body. */
    public static final String STRUCTURED_CONTENT_TYPE = "application/cloudevents+json";
    public static final String SPEC_VERSION = "1.0";

    /** How a transport names the attributes in binary content mode. */
    public enum Binding {
        /** Kafka protocol binding: {@code ce_} headers, {@code content-type} for the data's media type. */
        KAFKA("ce_", "content-type"),
        /** NATS protocol binding: {@code ce-} headers, {@code Content-Type} for the data's media type. */
        NATS("ce-", PatchMessages.CONTENT_TYPE),
        /** HTTP protocol binding: {@code ce-} headers, {@code Content-Type} for the data's media type. */
        HTTP("ce-", PatchMessages.CONTENT_TYPE);

        private final String prefix;
        private final String contentTypeHeader;

        Binding(String prefix, String contentTypeHeader) {
            this.prefix = prefix;
            this.contentTypeHeader = contentTypeHeader;
        }

        public String prefix() {
            return prefix;
        }

        public String contentTypeHeader() {
            return contentTypeHeader;
        }
    }

    /** The default {@code source} of a dataset: the path Fuseki serves it at, {@code /<dataset>}. */
    public static String defaultSource(String dataset) {
        return "/" + dataset;
    }

    /** The {@code sequence} extension's value for a version. */
    public static String sequence(long version) {
        return String.format("%019d", version);
    }

    /** The event's attributes, {@code datacontenttype} included, in the order the spec lists them. */
    public Map<String, String> attributes(PatchRecord patch, MessageFormat format) {
        return attributes(patch.meta().id().toString(), patch.version(), Instant.ofEpochMilli(patch.meta().timestamp()).toString(), format);
    }

    /** The attributes of the event of patch {@code id}, {@code version}, committed at {@code time} (RFC 3339). */
    public Map<String, String> attributes(String id, long version, String time, MessageFormat format) {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("specversion", SPEC_VERSION);
        a.put("id", id);
        a.put("source", source);
        a.put("type", type);
        a.put("datacontenttype", format.contentType());
        if ( format == MessageFormats.JSON )
            a.put("dataschema", MessageFormats.JSON_SCHEMA_ID);
        a.put("time", time);
        a.put("sequence", sequence(version));
        return a;
    }

    /**
     * The headers of binary content mode: each attribute under the binding's prefix, except
     * {@code datacontenttype}, which is the binding's content type header.
     */
    public Map<String, String> binaryHeaders(Binding binding, PatchRecord patch, MessageFormat format) {
        return binaryHeaders(binding, attributes(patch, format));
    }

    /** {@code attributes} as binary content mode headers. */
    public static Map<String, String> binaryHeaders(Binding binding, Map<String, String> attributes) {
        Map<String, String> h = new LinkedHashMap<>();
        attributes.forEach((k, v) -> h.put(k.equals("datacontenttype") ? binding.contentTypeHeader() : binding.prefix() + k, v));
        return h;
    }

    /**
     * Write the patch as one structured-mode event (JSON event format): a JSON change event as
     * {@code data}, RDF Patch text as a {@code data} string, binary RDF Patch as
     * {@code data_base64}. Text and binary bodies are built in memory: bound {@code out}.
     */
    public void writeStructured(PatchRecord patch, MessageFormat format, UnaryOperator<RDFChanges> filter, OutputStream out) throws IOException {
        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        w.write('{');
        for ( Map.Entry<String, String> e : attributes(patch, format).entrySet() ) {
            w.write(quote(e.getKey()));
            w.write(':');
            w.write(quote(e.getValue()));
            w.write(',');
        }
        if ( format == MessageFormats.JSON ) {
            w.write("\"data\":");
            w.flush();
            format.write(patch, filter, out);
        } else {
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            format.write(patch, filter, data);
            if ( format == MessageFormats.TEXT ) {
                w.write("\"data\":");
                w.write(quote(data.toString(StandardCharsets.UTF_8)));
            } else {
                w.write("\"data_base64\":\"");
                w.write(Base64.getEncoder().encodeToString(data.toByteArray()));
                w.write('"');
            }
        }
        w.write('}');
        w.flush();
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for ( int i = 0 ; i < s.length() ; i++ ) {
            char c = s.charAt(i);
            switch ( c ) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if ( c < 0x20 )
                        sb.append(String.format("\\u%04x", (int)c));
                    else
                        sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
