using Npgsql;

var builder = WebApplication.CreateBuilder(args);

// Set in production as the environment variable ConnectionStrings__Default.
var connectionString = builder.Configuration.GetConnectionString("Default")
    ?? throw new InvalidOperationException("ConnectionStrings__Default is not set");
var apiKey = Environment.GetEnvironmentVariable("API_KEY");

builder.Services.AddSingleton(NpgsqlDataSource.Create(connectionString));
builder.Services.AddHealthChecks();

var app = builder.Build();

// Writes need the API key in the X-Api-Key header; reads and health checks are open.
app.Use(async (context, next) =>
{
    var isWrite = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method);
    if (isWrite && (string.IsNullOrEmpty(apiKey) || context.Request.Headers["X-Api-Key"] != apiKey))
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return;
    }
    await next(context);
});

app.MapHealthChecks("/healthz");

app.MapGet("/todos", async (NpgsqlDataSource db) =>
{
    await using var command = db.CreateCommand("SELECT id, title, done FROM todos ORDER BY id");
    await using var reader = await command.ExecuteReaderAsync();
    var todos = new List<Todo>();
    while (await reader.ReadAsync())
    {
        todos.Add(new Todo(reader.GetInt32(0), reader.GetString(1), reader.GetBoolean(2)));
    }
    return Results.Ok(todos);
});

app.MapPost("/todos", async (NewTodo input, NpgsqlDataSource db) =>
{
    if (string.IsNullOrWhiteSpace(input.Title))
    {
        return Results.BadRequest(new { error = "title is required" });
    }
    await using var command = db.CreateCommand("INSERT INTO todos (title, done) VALUES ($1, false) RETURNING id");
    command.Parameters.AddWithValue(input.Title);
    var id = (int)(await command.ExecuteScalarAsync())!;
    return Results.Created($"/todos/{id}", new Todo(id, input.Title, false));
});

app.Run();

record Todo(int Id, string Title, bool Done);

record NewTodo(string Title);
