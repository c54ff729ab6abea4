using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CryptoEtl.ControlCenter.Browsing;

/// <summary>A filter expression that does not parse, with where and why.</summary>
public sealed class FilterSyntaxException(string message) : Exception(message);

/// <summary>
/// A filter on a record's decoded value, e.g. <c>price &gt; 100 &amp;&amp; coin_id == "bitcoin"</c>: fields by name (nested
/// ones as <c>a.b</c>), numbers, "strings", <c>true</c>, <c>false</c>, <c>null</c>; <c>== != &lt; &lt;= &gt; &gt;=</c>,
/// <c>contains</c> (text), <c>&amp;&amp; || !</c> and parentheses. A missing field is null; comparing a number with text
/// is false, never an error, so one odd record does not stop a search. Evaluated on the server.
/// </summary>
public sealed class RecordFilter
{
    public const int MaxLength = 500;

    private readonly Func<JsonNode?, bool> _matches;

    private RecordFilter(string text, Func<JsonNode?, bool> matches) => (Text, _matches) = (text, matches);

    public string Text { get; }

    public bool Matches(JsonNode? value) => _matches(value);

    /// <exception cref="FilterSyntaxException">The text is not a filter.</exception>
    public static RecordFilter Parse(string text)
    {
        if (text.Length > MaxLength)
        {
            throw new FilterSyntaxException($"filter must be at most {MaxLength} characters (got {text.Length}).");
        }

        var parser = new Parser(Tokenize(text));
        var expression = parser.Or();
        parser.ExpectEnd();
        return new RecordFilter(text, value => Truthy(expression(value)));
    }

    private enum Kind
    {
        Name,
        Number,
        Text,
        Symbol,
        End,
    }

    private readonly record struct Token(Kind Kind, string Text, int Column);

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            var column = i + 1;
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '_' or '.'))
                {
                    i++;
                }

                tokens.Add(new Token(Kind.Name, text[start..i], column));
            }
            else if (char.IsDigit(c) || (c == '-' && i + 1 < text.Length && char.IsDigit(text[i + 1])))
            {
                var start = i++;
                while (i < text.Length && (char.IsDigit(text[i]) || text[i] is '.' or 'e' or 'E' || (text[i] is '+' or '-' && text[i - 1] is 'e' or 'E')))
                {
                    i++;
                }

                tokens.Add(new Token(Kind.Number, text[start..i], column));
            }
            else if (c == '"')
            {
                var value = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }

                    value.Append(text[i++]);
                }

                if (i >= text.Length)
                {
                    throw new FilterSyntaxException($"filter: the text starting at column {column} has no closing \".");
                }

                i++;
                tokens.Add(new Token(Kind.Text, value.ToString(), column));
            }
            else if (i + 1 < text.Length && text.Substring(i, 2) is "==" or "!=" or "<=" or ">=" or "&&" or "||")
            {
                tokens.Add(new Token(Kind.Symbol, text.Substring(i, 2), column));
                i += 2;
            }
            else if (c is '<' or '>' or '!' or '(' or ')')
            {
                tokens.Add(new Token(Kind.Symbol, c.ToString(), column));
                i++;
            }
            else
            {
                throw new FilterSyntaxException($"filter: unexpected '{c}' at column {column}.");
            }
        }

        tokens.Add(new Token(Kind.End, "", text.Length + 1));
        return tokens;
    }

    /// <summary>A recursive-descent parser building closures over the decoded value.</summary>
    private sealed class Parser(List<Token> tokens)
    {
        private int _at;

        private Token Next => tokens[_at];

        public Func<JsonNode?, object?> Or()
        {
            var left = And();
            while (Accept("||"))
            {
                var (a, b) = (left, And());
                left = v => Truthy(a(v)) || Truthy(b(v));
            }

            return left;
        }

        public void ExpectEnd()
        {
            if (Next.Kind != Kind.End)
            {
                throw Unexpected("an operator (&&, ||, ==, ...) or the end");
            }
        }

        private Func<JsonNode?, object?> And()
        {
            var left = Not();
            while (Accept("&&"))
            {
                var (a, b) = (left, Not());
                left = v => Truthy(a(v)) && Truthy(b(v));
            }

            return left;
        }

        private Func<JsonNode?, object?> Not()
        {
            if (Accept("!"))
            {
                var operand = Not();
                return v => !Truthy(operand(v));
            }

            return Comparison();
        }

        private Func<JsonNode?, object?> Comparison()
        {
            var left = Operand();
            var op = Next.Text;
            if (Next.Kind == Kind.Symbol && op is "==" or "!=" or "<" or "<=" or ">" or ">=" || (Next.Kind == Kind.Name && op == "contains"))
            {
                _at++;
                var right = Operand();
                return v => Compare(op, left(v), right(v));
            }

            return left;
        }

        private Func<JsonNode?, object?> Operand()
        {
            var token = Next;
            _at++;
            switch (token.Kind)
            {
                case Kind.Number when double.TryParse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number):
                    return _ => number;
                case Kind.Text:
                    return _ => token.Text;
                case Kind.Name when token.Text is "true" or "false":
                    var flag = token.Text == "true";
                    return _ => flag;
                case Kind.Name when token.Text == "null":
                    return _ => null;
                case Kind.Name when token.Text.Split('.') is var path && path.All(p => p.Length > 0):
                    return v => Field(v, path);
                case Kind.Symbol when token.Text == "(":
                    var inner = Or();
                    if (!Accept(")"))
                    {
                        throw Unexpected("')'");
                    }

                    return inner;
                default:
                    _at--;
                    throw Unexpected("a field, a number, a \"text\", true, false, null or '('");
            }
        }

        private bool Accept(string symbol)
        {
            if (Next.Kind == Kind.Symbol && Next.Text == symbol)
            {
                _at++;
                return true;
            }

            return false;
        }

        private FilterSyntaxException Unexpected(string expected) =>
            new($"filter: expected {expected} at column {Next.Column}, got {(Next.Kind == Kind.End ? "the end" : $"'{Next.Text}'")}.");
    }

    /// <summary>A field's value as a number, text, bool or null (objects and arrays as their JSON text).</summary>
    private static object? Field(JsonNode? value, string[] path)
    {
        foreach (var name in path)
        {
            value = value is JsonObject record && record.TryGetPropertyValue(name, out var field) ? field : null;
        }

        return value switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture),
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => value.ToJsonString(),
        };
    }

    private static bool Compare(string op, object? left, object? right) => op switch
    {
        "==" => Equals(left, right),
        "!=" => !Equals(left, right),
        "contains" => left is string text && right is string part && text.Contains(part, StringComparison.OrdinalIgnoreCase),
        _ => Order(left, right) is { } order && op switch
        {
            "<" => order < 0,
            "<=" => order <= 0,
            ">" => order > 0,
            _ => order >= 0,
        },
    };

    private static int? Order(object? left, object? right) => (left, right) switch
    {
        (double a, double b) => a.CompareTo(b),
        (string a, string b) => string.CompareOrdinal(a, b),
        _ => null,
    };

    private static bool Truthy(object? value) => value switch
    {
        bool flag => flag,
        null => false,
        double number => number != 0,
        string text => text.Length > 0,
        _ => true,
    };
}
