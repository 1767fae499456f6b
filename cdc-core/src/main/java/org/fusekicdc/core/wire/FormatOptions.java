package org.fusekicdc.core.wire;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import jakarta.json.JsonObject;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.wire.EntityDocumentFormat;

/**
 * The options that choose what a sink's messages look like, the same on every sink:
 * {@code cdc:format} (the body) and the CloudEvents envelope ({@code cdc:cloudEvents},
 * {@code cdc:cloudEventsSource}, {@code cdc:cloudEventsType}).
 */
public final class FormatOptions {
    /** {@code cdc:cloudEventsMode} value: binary content mode (attributes in headers, the body as {@code cdc:format} makes it). */
    public static final String BINARY = "binary";
    /** {@code cdc:cloudEventsMode} value: structured content mode (the event in a JSON body). */
    public static final String STRUCTURED = "structured";

    /** {@code cdc:format} value: entity documents, one message per changed subject (Kafka and NATS sinks). */
    public static final String ENTITY = EntityDocumentFormat.NAME;
    /** {@code cdc:format} value: a continuous query's steps ({@link StepMessages}), the default and only format of a query's sinks. */
    public static final String STEP = StepMessages.NAME;
    private static final List<String> FORMAT_NAMES = Stream.concat(MessageFormats.NAMES.stream(), Stream.of(ENTITY, STEP)).toList();

    public static final Option<String> FORMAT = Option.oneOf("format", String.join(" | ", FORMAT_NAMES), "text", FORMAT_NAMES,
        "Message body: text = RDF Patch text (application/rdf-patch), binary = RDF Patch binary (application/rdf-patch+thrift),"
        + " json = a JSON change event (" + MessageFormats.JSON_CONTENT_TYPE + ", schema docs/schemas/change-event.schema.json),"
        + " entity = one JSON-LD document (" + EntityDocumentFormat.CONTENT_TYPE + ") per changed subject, its state as of the patch's version,"
        + " or a tombstone (empty body; null value on Kafka) when it has no triples left (Kafka and NATS sinks only),"
        + " step = one continuous query step as JSON (" + StepMessages.CONTENT_TYPE + ", with cdc-query, cdc-step, cdc-evaluated-version,"
        + " cdc-window-start and cdc-window-end headers): the default and only format of a cdc:continuousQuery's sinks, refused on a dataset's.");
    public static final Option<String> ENTITY_CONTEXT = Option.text("entityContext", "string (file path, or inline JSON)", "{}",
        "With cdc:format entity: the JSON-LD context the documents are compacted with, a file or inline JSON starting with '{'; {} keeps full IRIs.");
    public static final Option<String> ENTITY_FRAME = Option.withoutDefault("entityFrame", "string (file path, or inline JSON)", "none",
        "With cdc:format entity: a JSON-LD frame the documents are framed with instead of only compacted (cdc:entityContext applies when the frame has no @context).");
    public static final Option<String> ENTITY_DEPTH = Option.oneOf("entityDepth", "subject | closure", "subject", List.of("subject", "closure"),
        "With cdc:format entity: subject = the subject's own triples (in every graph), closure = also the triples of the blank nodes they reach, transitively.");
    public static final Option<String> CLOUD_EVENTS_SOURCE = Option.withoutDefault("cloudEventsSource", "string (URI reference)", "/<dataset>",
        "The CloudEvents source attribute: the dataset's URI, e.g. https://data.example.org/ds.");
    public static final Option<String> CLOUD_EVENTS_TYPE = Option.text("cloudEventsType", "string", CloudEvents.DEFAULT_TYPE,
        "The CloudEvents type attribute, a reverse-DNS name.");

    public static final Option<Boolean> CLOUD_EVENTS = Option.bool("cloudEvents", false,
        "Send each patch as a CloudEvent 1.0 in binary content mode (attributes in ce_ headers on Kafka, ce- headers on NATS and HTTP; the body as cdc:format"
        + " makes it): id = patch id, source = cdc:cloudEventsSource, type = cdc:cloudEventsType, time = commit time, sequence = the version zero-padded to 19 digits.");
    /** Webhooks only: how a CloudEvent travels in the request. */
    public static final Option<String> CLOUD_EVENTS_MODE = Option.oneOf("cloudEventsMode", "binary | structured", BINARY, List.of(BINARY, STRUCTURED),
        "With cdc:cloudEvents true: binary (ce- headers, the body as cdc:format makes it) or structured (the whole event as an application/cloudevents+json body).");

    private static final Pattern TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private FormatOptions() {}

    /**
     * The format {@code cdc:format} names.
     *
     * @throws org.fusekicdc.core.CdcConfigException for an entity context or frame that cannot be read, or entity options without {@code cdc:format entity}
     */
    public static MessageFormat format(OptionValues options) {
        String name = options.oneOf(FORMAT);
        if ( !name.equals(ENTITY) ) {
            for ( Option<?> o : List.of(ENTITY_CONTEXT, ENTITY_FRAME, ENTITY_DEPTH) )
                if ( options.has(o.name()) )
                    throw options.error(o.name(), "is set but cdc:" + FORMAT.name() + " is not \"" + ENTITY + "\"; set cdc:format \"entity\", or remove it");
            return name.equals(STEP) ? StepMessages.FORMAT : MessageFormats.byName(name);
        }
        JsonObject context = entityJson(options, ENTITY_CONTEXT, options.string(ENTITY_CONTEXT));
        String frame = options.string(ENTITY_FRAME);
        EntityDocumentFormat.Depth depth = options.oneOf(ENTITY_DEPTH).equals("closure") ? EntityDocumentFormat.Depth.CLOSURE : EntityDocumentFormat.Depth.SUBJECT;
        return new EntityDocumentFormat(context, frame == null ? null : entityJson(options, ENTITY_FRAME, frame), depth);
    }

    /**
     * The format {@code cdc:format} names, for a sink whose message is always one whole patch
     * (webhooks, Redis): entity documents, several messages per patch, are refused.
     */
    public static MessageFormat patchFormat(OptionValues options) {
        if ( options.oneOf(FORMAT).equals(ENTITY) )
            throw options.error(FORMAT.name(), "is \"" + ENTITY + "\", one message per changed subject, which this sink does not send: it sends one whole patch"
                                               + " per message. Use text, binary or json here, or a Kafka or NATS sink for entity documents");
        return format(options);
    }

    private static JsonObject entityJson(OptionValues options, Option<String> option, String value) {
        try {
            return EntityDocumentFormat.jsonObject(value);
        } catch (IOException | RuntimeException ex) {
            throw options.error(option.name(), "cannot be read as a JSON-LD object (" + ex.getMessage() + "); give a readable file or inline JSON starting with '{'");
        }
    }

    /**
     * The CloudEvents attributes to send, when {@code cdc:cloudEvents} is true.
     *
     * @throws org.fusekicdc.core.CdcConfigException for a source that is not a URI reference or a type that is not a reverse-DNS name
     */
    public static Optional<CloudEvents> cloudEvents(String dataset, OptionValues options) {
        if ( !options.bool(CLOUD_EVENTS) ) {
            for ( Option<?> o : List.of(CLOUD_EVENTS_SOURCE, CLOUD_EVENTS_TYPE, CLOUD_EVENTS_MODE) )
                if ( options.has(o.name()) )
                    throw options.error(o.name(), "is set but cdc:" + CLOUD_EVENTS.name() + " is not true; set cdc:" + CLOUD_EVENTS.name() + " true, or remove it");
            return Optional.empty();
        }
        String source = options.string(CLOUD_EVENTS_SOURCE);
        if ( source == null )
            source = CloudEvents.defaultSource(dataset);
        try {
            new URI(source);
        } catch (URISyntaxException ex) {
            throw options.error(CLOUD_EVENTS_SOURCE.name(), "'" + source + "' is not a URI reference (" + ex.getReason()
                                                            + "); give the dataset's URI, e.g. https://data.example.org/" + dataset);
        }
        if ( source.isEmpty() )
            throw options.error(CLOUD_EVENTS_SOURCE.name(), "is empty; give the dataset's URI, e.g. https://data.example.org/" + dataset);
        String type = options.string(CLOUD_EVENTS_TYPE);
        if ( !TYPE.matcher(type).matches() )
            throw options.error(CLOUD_EVENTS_TYPE.name(), "'" + type + "' is not a reverse-DNS name; use letters, digits, '.', '_' and '-', e.g. "
                                                          + CloudEvents.DEFAULT_TYPE);
        return Optional.of(new CloudEvents(source, type));
    }
}
