using Avro;

namespace CryptoEtl.DevServices.SchemaRegistry;

/// <summary>
/// Avro schema resolution (the Avro specification's "Schema Resolution" rules, as Java's SchemaCompatibility applies them):
/// can a reader schema read every datum written with a writer schema? Returns the problems found; none means compatible.
/// </summary>
public static class AvroCompatibility
{
    public static IReadOnlyList<string> ProblemsReading(Schema reader, Schema writer)
    {
        var problems = new List<string>();
        Check(Unwrap(reader), Unwrap(writer), "", problems);
        return problems;
    }

    private static void Check(Schema reader, Schema writer, string path, List<string> problems)
    {
        // A writer union can hold any of its branches, so every branch must be readable.
        if (writer is UnionSchema writerUnion)
        {
            for (var i = 0; i < writerUnion.Schemas.Count; i++)
            {
                var branch = Unwrap(writerUnion.Schemas[i]);
                if (reader is UnionSchema readerUnion ? !readerUnion.Schemas.Any(r => Reads(Unwrap(r), branch)) : !Reads(reader, branch))
                {
                    problems.Add(Problem("MISSING_UNION_BRANCH", $"{path}/{i}", $"reader union lacking writer type: {TypeName(branch)}", TypeName(branch)));
                }
            }

            return;
        }

        if (reader is UnionSchema union)
        {
            if (!union.Schemas.Any(r => Reads(Unwrap(r), writer)))
            {
                problems.Add(Problem("MISSING_UNION_BRANCH", path, $"reader union lacking writer type: {TypeName(writer)}", TypeName(writer)));
            }

            return;
        }

        if (reader.Tag == writer.Tag)
        {
            CheckSameKind(reader, writer, path, problems);
        }
        else if (!IsPromotion(writer.Tag, reader.Tag))
        {
            problems.Add(Problem("TYPE_MISMATCH", path, $"reader type: {TypeName(reader)} not compatible with writer type: {TypeName(writer)}", TypeName(reader)));
        }
    }

    private static void CheckSameKind(Schema reader, Schema writer, string path, List<string> problems)
    {
        switch (reader)
        {
            case RecordSchema readerRecord:
                var writerRecord = (RecordSchema)writer;
                if (!NamesMatch(readerRecord, writerRecord))
                {
                    problems.Add(Problem("NAME_MISMATCH", $"{path}/name", $"expected: {writerRecord.Fullname}", readerRecord.Fullname));
                    return;
                }

                foreach (var field in readerRecord.Fields)
                {
                    var source = WriterField(writerRecord, field);
                    if (source is not null)
                    {
                        Check(Unwrap(field.Schema), Unwrap(source.Schema), $"{path}/fields/{field.Pos}/type", problems);
                    }
                    else if (field.DefaultValue is null)
                    {
                        problems.Add(Problem("READER_FIELD_MISSING_DEFAULT_VALUE", $"{path}/fields/{field.Pos}",
                            $"The field '{field.Name}' at path '{path}/fields/{field.Pos}' in the new schema has no default value and is missing in the old schema", field.Name));
                    }
                }

                break;

            case EnumSchema readerEnum:
                var writerEnum = (EnumSchema)writer;
                if (!NamesMatch(readerEnum, writerEnum))
                {
                    problems.Add(Problem("NAME_MISMATCH", $"{path}/name", $"expected: {writerEnum.Fullname}", readerEnum.Fullname));
                    return;
                }

                var missing = writerEnum.Symbols.Where(s => !readerEnum.Symbols.Contains(s)).ToList();
                if (missing.Count > 0 && readerEnum.Default is null)
                {
                    problems.Add(Problem("MISSING_ENUM_SYMBOLS", $"{path}/symbols", $"The new schema is missing enum symbols '[{string.Join(", ", missing)}]'", string.Join(", ", missing)));
                }

                break;

            case FixedSchema readerFixed:
                var writerFixed = (FixedSchema)writer;
                if (!NamesMatch(readerFixed, writerFixed))
                {
                    problems.Add(Problem("NAME_MISMATCH", $"{path}/name", $"expected: {writerFixed.Fullname}", readerFixed.Fullname));
                }

                if (readerFixed.Size != writerFixed.Size)
                {
                    problems.Add(Problem("FIXED_SIZE_MISMATCH", $"{path}/size", $"expected: {writerFixed.Size}, found: {readerFixed.Size}", readerFixed.Fullname));
                }

                break;

            case ArraySchema readerArray:
                Check(Unwrap(readerArray.ItemSchema), Unwrap(((ArraySchema)writer).ItemSchema), $"{path}/items", problems);
                break;

            case MapSchema readerMap:
                Check(Unwrap(readerMap.ValueSchema), Unwrap(((MapSchema)writer).ValueSchema), $"{path}/values", problems);
                break;

            default:
                break; // the same primitive type
        }
    }

    private static bool Reads(Schema reader, Schema writer)
    {
        var problems = new List<string>();
        Check(reader, writer, "", problems);
        return problems.Count == 0;
    }

    /// <summary>Writer-to-reader promotions the specification allows.</summary>
    private static bool IsPromotion(Schema.Type writer, Schema.Type reader) => (writer, reader) switch
    {
        (Schema.Type.Int, Schema.Type.Long or Schema.Type.Float or Schema.Type.Double) => true,
        (Schema.Type.Long, Schema.Type.Float or Schema.Type.Double) => true,
        (Schema.Type.Float, Schema.Type.Double) => true,
        (Schema.Type.String, Schema.Type.Bytes) => true,
        (Schema.Type.Bytes, Schema.Type.String) => true,
        _ => false,
    };

    /// <summary>Unqualified names match, or the reader lists the writer's full name among its aliases.</summary>
    private static bool NamesMatch(NamedSchema reader, NamedSchema writer) =>
        reader.Name == writer.Name || Aliases(reader).Any(a => a == writer.Fullname || a == writer.Name);

    /// <summary>Apache.Avro keeps a named type's aliases private but writes them (fully qualified) in its JSON form.</summary>
    private static IEnumerable<string> Aliases(NamedSchema schema)
    {
        using var json = System.Text.Json.JsonDocument.Parse(schema.ToString());
        return json.RootElement.TryGetProperty("aliases", out var aliases)
            ? aliases.EnumerateArray().Select(a => a.GetString() ?? "").ToList()
            : [];
    }

    private static Field? WriterField(RecordSchema writer, Field readerField)
    {
        if (writer.TryGetField(readerField.Name, out var byName))
        {
            return byName;
        }

        foreach (var alias in readerField.Aliases ?? [])
        {
            if (writer.TryGetField(alias, out var byAlias))
            {
                return byAlias;
            }
        }

        return null;
    }

    /// <summary>Logical types resolve by their underlying type.</summary>
    private static Schema Unwrap(Schema schema) => schema is LogicalSchema logical ? logical.BaseSchema : schema;

    private static string TypeName(Schema schema) => schema is NamedSchema named ? named.Fullname : schema.Tag.ToString().ToUpperInvariant();

    private static string Problem(string type, string path, string description, string info) =>
        $"{{errorType:'{type}', description:'{description}', additionalInfo:'{info}', path:'{(path.Length == 0 ? "/" : path)}'}}";
}
