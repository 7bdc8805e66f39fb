"""The .NET ecosystem: project files, solutions, runtime sources, ASP.NET Core and workers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from migrate.inspect import inspect_tree
from migrate.inspect.detectors.base import AppDir
from migrate.inspect.detectors.dotnet import ECOSYSTEM
from migrate.inspect.tree import SourceTree
from migrate.profile import AppProfile, Inspection

MakeTree = Callable[[dict[str, str | bytes]], Path]


def csproj(sdk: str = "Microsoft.NET.Sdk.Web", props: str = "<TargetFramework>net8.0</TargetFramework>", items: str = "") -> str:
    return f"""<Project Sdk="{sdk}">

  <PropertyGroup>
    {props}
    <Nullable>enable</Nullable>
  </PropertyGroup>

  <ItemGroup>
    {items}
  </ItemGroup>

</Project>
"""


MINIMAL = 'var builder = WebApplication.CreateBuilder(args);\nvar app = builder.Build();\napp.MapGet("/", () => "hi");\napp.Run();\n'


def only_app(result: Inspection) -> AppProfile:
    assert len(result.apps) == 1, [a.path for a in result.apps]
    return result.apps[0]


def ev(app: AppProfile, fact: str) -> list[str]:
    return [str(e) for e in app.fact(fact).evidence]


def test_aspnetcore_minimal_api(make_tree: MakeTree) -> None:
    program = (
        "var builder = WebApplication.CreateBuilder(args);\n"
        'var cs = builder.Configuration.GetConnectionString("Default");\n'
        'var key = Environment.GetEnvironmentVariable("API_KEY");\n'
        'var region = builder.Configuration["Aws:Region"];\n'
        "builder.Services.AddHealthChecks();\n"
        "var app = builder.Build();\n"
        'app.MapHealthChecks("/healthz");\n'
        "app.Run();\n"
    )
    root = make_tree(
        {
            "Api.csproj": csproj(items='<PackageReference Include="Npgsql" Version="8.0.5" />\n    <PackageReference Include="StackExchange.Redis" Version="2.8.16" />\n    <PackageReference Include="Microsoft.CodeAnalysis.NetAnalyzers" Version="8.0.0" PrivateAssets="all" />'),
            "Program.cs": program,
            "global.json": '{\n  // the SDK that builds it\n  "sdk": {\n    "version": "8.0.400"\n  }\n}\n',
            "appsettings.json": '{\n  "Aws": { "Region": "eu-west-1" },\n  "AllowedHosts": "*"\n}\n',
            "Properties/launchSettings.json": '{"profiles": {"http": {"applicationUrl": "http://localhost:5180"}}}',
        }
    )
    app = only_app(inspect_tree(root))
    assert (app.name, app.language.value, app.framework.value, app.package_manager.value) == ("Api", "dotnet", "aspnetcore", "dotnet")
    assert app.runtime_version.value == "8.0"
    assert ev(app, "runtime_version") == ["Api.csproj:4: TargetFramework net8.0"]
    assert app.detail("sdk_version") == "8.0.400"
    assert ev(app, "framework") == ["Api.csproj:1: Microsoft.NET.Sdk.Web project"]
    assert app.detail("install_command") == "dotnet restore"
    assert app.build_command.value == "dotnet publish -c Release -o /app/publish"
    assert app.start_command.value == "dotnet Api.dll"
    assert app.detail("assembly") == "Api.dll"
    assert app.port.value == 8080 and app.port.is_default
    assert app.detail("dev_urls") == "http://localhost:5180"  # noted, not the production port
    assert app.health_path.value == "/healthz"
    assert ev(app, "health_path") == ["Program.cs:7: route /healthz"]
    assert sorted(s.kind for s in app.backing_services) == ["postgres", "redis"]
    env = {v.name: v for v in app.env}
    assert set(env) == {"API_KEY", "Aws__Region", "ConnectionStrings__Default"}
    assert env["ConnectionStrings__Default"].required and env["ConnectionStrings__Default"].secret
    assert (env["Aws__Region"].required, env["Aws__Region"].default) == (False, "eu-west-1")
    assert env["API_KEY"].secret and not env["API_KEY"].required  # GetEnvironmentVariable yields null when unset


@pytest.mark.parametrize(
    ("files", "expected", "evidence"),
    [
        ({"Api.csproj": csproj(props="<TargetFrameworks>net8.0;net9.0</TargetFrameworks>")}, "9.0", "Api.csproj:4: newest of TargetFrameworks: net9.0"),
        ({"Api.csproj": csproj(props="<TargetFramework>netcoreapp3.1</TargetFramework>")}, "3.1", "Api.csproj:4: TargetFramework netcoreapp3.1"),
        (
            {"Api.csproj": csproj(props=""), "Directory.Build.props": "<Project>\n  <PropertyGroup>\n    <TargetFramework>net9.0</TargetFramework>\n  </PropertyGroup>\n</Project>\n"},
            "9.0",
            "Directory.Build.props:3: TargetFramework net9.0",
        ),
        ({"Api.csproj": csproj(props=""), "global.json": '{"sdk": {"version": "9.0.100"}}'}, "9.0", "global.json:1: global.json pins SDK 9.0.100"),
    ],
)
def test_runtime_version_sources(make_tree: MakeTree, files: dict[str, str | bytes], expected: str, evidence: str) -> None:
    app = only_app(inspect_tree(make_tree({**files, "Program.cs": MINIMAL})))
    assert app.runtime_version.value == expected
    assert ev(app, "runtime_version") == [evidence]
    assert not app.runtime_version.is_default


def test_default_runtime_and_pre_8_default_port(make_tree: MakeTree) -> None:
    app = only_app(inspect_tree(make_tree({"Api.csproj": csproj(props=""), "Program.cs": MINIMAL})))
    assert app.runtime_version.value == "8.0" and app.runtime_version.is_default
    old = only_app(inspect_tree(make_tree({"Api.csproj": csproj(props="<TargetFramework>net6.0</TargetFramework>")})))
    assert old.port.value == 80 and old.port.is_default


@pytest.mark.parametrize(
    ("program", "settings", "port"),
    [
        ('var app = WebApplication.Create(args);\napp.Urls.Add("http://0.0.0.0:5005");\napp.Run();\n', None, 5005),
        ('builder.WebHost.UseUrls("http://*:7000");\n', None, 7000),
        ('app.Run("http://0.0.0.0:3000");\n', None, 3000),
        ("builder.WebHost.ConfigureKestrel(o => o.ListenAnyIP(6000));\n", None, 6000),
        (MINIMAL, '{"Kestrel": {"Endpoints": {"Http": {"Url": "http://+:5050"}}}}', 5050),
        (MINIMAL, '{"Urls": "http://*:5060"}', 5060),
    ],
)
def test_observed_ports(make_tree: MakeTree, program: str, settings: str | None, port: int) -> None:
    files: dict[str, str | bytes] = {"Api.csproj": csproj(), "Program.cs": program}
    if settings:
        files["appsettings.json"] = settings
    app = only_app(inspect_tree(make_tree(files)))
    assert app.port.value == port and not app.port.is_default
    assert app.port.evidence[0].line is not None


def test_port_from_an_env_read_with_a_default(make_tree: MakeTree) -> None:
    program = 'var port = Environment.GetEnvironmentVariable("PORT") ?? "5000";\n'
    app = only_app(inspect_tree(make_tree({"Api.csproj": csproj(), "Program.cs": program})))
    assert app.port.value == 5000 and not app.port.is_default


def test_assembly_name_and_native_aot(make_tree: MakeTree) -> None:
    named = only_app(inspect_tree(make_tree({"Api.csproj": csproj(props="<TargetFramework>net8.0</TargetFramework>\n    <AssemblyName>Shop.Web</AssemblyName>")})))
    assert named.start_command.value == "dotnet Shop.Web.dll"
    assert ev(named, "start_command") == ["Api.csproj:5: AssemblyName Shop.Web"]
    aot = only_app(inspect_tree(make_tree({"Api.csproj": csproj(props="<TargetFramework>net8.0</TargetFramework>\n    <PublishAot>true</PublishAot>")})))
    assert aot.start_command.value == "./Api"


def test_console_app_and_worker(make_tree: MakeTree) -> None:
    console = inspect_tree(make_tree({"Tool.fsproj": csproj("Microsoft.NET.Sdk", "<OutputType>Exe</OutputType>\n    <TargetFramework>net8.0</TargetFramework>")}))
    app = only_app(console)
    assert app.framework.value is None and app.start_command.value == "dotnet Tool.dll"
    assert app.port.value is None
    worker = inspect_tree(make_tree({"Tool.fsproj": csproj("Microsoft.NET.Sdk.Worker")}))
    app = only_app(worker)
    assert app.framework.value == "worker" and app.port.value is None
    assert not any("port" in w for w in worker.warnings)


def test_library_and_test_projects_claim_weakly(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "lib/Lib.csproj": csproj("Microsoft.NET.Sdk", "<TargetFramework>netstandard2.0</TargetFramework>"),
            "tests/Tests.csproj": csproj("Microsoft.NET.Sdk", "<OutputType>Exe</OutputType>", '<PackageReference Include="xunit.v3" Version="1.0.0" />'),
        }
    )
    tree = SourceTree.scan(root)
    for folder in ("lib", "tests"):
        claim = ECOSYSTEM.claim(AppDir(tree, folder))
        assert claim is not None and claim.strength == 1
    lib = next(a for a in inspect_tree(root).apps if a.path == "lib")
    assert lib.start_command.value is None and lib.build_command.value is None


def test_solution_members_and_project_references(make_tree: MakeTree) -> None:
    sln = (
        "Microsoft Visual Studio Solution File, Format Version 12.00\n"
        'Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "Api", "src\\Api\\Api.csproj", "{11111111-1111-1111-1111-111111111111}"\n'
        "EndProject\n"
        'Project("{2150E333-8FDC-42A3-9474-1A3956D46DE8}") = "src", "src", "{22222222-2222-2222-2222-222222222222}"\n'
        "EndProject\n"
        'Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "Data", "src\\Data\\Data.csproj", "{33333333-3333-3333-3333-333333333333}"\n'
        "EndProject\n"
        'Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "Api.Tests", "tests\\Api.Tests\\Api.Tests.csproj", "{44444444-4444-4444-4444-444444444444}"\n'
        "EndProject\n"
    )
    root = make_tree(
        {
            "Shop.sln": sln,
            "global.json": '{"sdk": {"version": "8.0.404"}}',
            "src/Api/Api.csproj": csproj(items='<ProjectReference Include="..\\Data\\Data.csproj" />'),
            "src/Api/Program.cs": MINIMAL,
            "src/Data/Data.csproj": csproj("Microsoft.NET.Sdk", "<TargetFramework>net8.0</TargetFramework>", '<PackageReference Include="Npgsql.EntityFrameworkCore.PostgreSQL" Version="8.0.10" />'),
            "tests/Api.Tests/Api.Tests.csproj": csproj("Microsoft.NET.Sdk", items='<PackageReference Include="Microsoft.NET.Test.Sdk" Version="17.11.1" />'),
        }
    )
    assert ECOSYSTEM.workspace_members(AppDir(SourceTree.scan(root), ".")) == ["src/Api", "src/Data", "tests/Api.Tests"]
    result = inspect_tree(root)
    app = only_app(result)
    assert app.path == "src/Api"
    assert app.detail("build_root") == "."
    assert app.detail("sdk_version") == "8.0.404"
    assert [str(e) for s in app.backing_services for e in s.evidence] == ["src/Data/Data.csproj:9: dependency 'npgsql.entityframeworkcore.postgresql'"]
    assert any("src/Data: a library of the workspace" in w for w in result.warnings)


def test_solution_beside_its_project_is_not_a_workspace(make_tree: MakeTree) -> None:
    root = make_tree({"Api.sln": 'Project("{X}") = "Api", "Api.csproj", "{Y}"\nEndProject\n', "Api.csproj": csproj(), "Program.cs": MINIMAL})
    assert ECOSYSTEM.workspace_members(AppDir(SourceTree.scan(root), ".")) is None
    app = only_app(inspect_tree(root))
    assert app.path == "."
    # two candidates for dotnet in one folder: name the project explicitly
    assert app.detail("install_command") == "dotnet restore Api.csproj"
    assert app.build_command.value == "dotnet publish Api.csproj -c Release -o /app/publish"


def test_malformed_project_file_warns_and_does_not_crash(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"Api.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup>', "Program.cs": MINIMAL}))
    app = only_app(result)
    assert app.language.value == "dotnet"
    assert app.framework.value is None and app.start_command.value is None
    assert any("Api.csproj: malformed XML" in w for w in result.warnings)
    assert any("no project file here could be read" in w for w in result.warnings)


def test_dotnet_framework_project_is_flagged(make_tree: MakeTree) -> None:
    old = '<Project ToolsVersion="15.0" xmlns="http://schemas.microsoft.com/developer/msbuild/2003">\n  <PropertyGroup>\n    <OutputType>Exe</OutputType>\n    <TargetFrameworkVersion>v4.7.2</TargetFrameworkVersion>\n  </PropertyGroup>\n</Project>\n'
    result = inspect_tree(make_tree({"Legacy.csproj": old}))
    app = only_app(result)
    assert app.runtime_version.is_default
    assert any("Windows containers" in w for w in result.warnings)


def test_configuration_reads_required_only_when_the_code_cannot_run_without(make_tree: MakeTree) -> None:
    extensions = (
        "public static class Extensions\n{\n"
        "    public static void AddServices(this IHostApplicationBuilder builder, IConfiguration configuration)\n    {\n"
        # The ASP.NET templates' connection string: required, unless appsettings.json has it.
        '        var cs = builder.Configuration.GetConnectionString("Default") ?? throw new InvalidOperationException("no Default");\n'
        '        var local = builder.Configuration.GetConnectionString("Local") ?? throw new InvalidOperationException("no Local");\n'
        # dotnet/eShop: features switched on only when set.
        '        if (builder.Configuration["OllamaEnabled"] is string enabled && bool.Parse(enabled)) { }\n'
        '        else if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("chatModel"))) { }\n'
        '        var identity = configuration["IdentityUrl"];\n'
        '        var key = _config["Stripe:Key"] ?? throw new ArgumentException("Stripe:Key");\n'
        '        var size = configuration.GetValue<int>("PageSize", 20);\n'
        '        var retries = builder.Configuration.GetValue<int>("Retries");\n'
        '        var region = configuration["Aws:Region"] ?? "us-east-1";\n'
        # Aspire client integrations throw at start-up without their connection string.
        '        builder.AddNpgsqlDbContext<CatalogContext>("catalogdb");\n'
        '        builder.AddRedisClient("redis");\n'
        '        builder.Services.AddHttpClient("github");\n'
        '        if (builder.Configuration["OllamaEnabled"] is string on && bool.Parse(on))\n        {\n'
        '            builder.AddOllamaApiClient("embedding");\n        }\n'
        "    }\n}\n"
    )
    root = make_tree(
        {
            "Api.csproj": csproj(items='<PackageReference Include="Aspire.Npgsql.EntityFrameworkCore.PostgreSQL" Version="9.0.0" />'
                          '<PackageReference Include="CommunityToolkit.Aspire.OllamaSharp" Version="9.0.0" />'),
            "Program.cs": MINIMAL,
            "Extensions.cs": extensions,
            "appsettings.json": '{"ConnectionStrings": {"Local": "Data Source=app.db"}}',
        }
    )
    env = {v.name: v for v in only_app(inspect_tree(root)).env}
    assert {n for n, v in env.items() if v.required} == {"ConnectionStrings__Default", "ConnectionStrings__catalogdb", "ConnectionStrings__redis", "Stripe__Key"}
    assert set(env) - {n for n, v in env.items() if v.required} == {
        "Aws__Region", "ConnectionStrings__Local", "ConnectionStrings__chatModel", "ConnectionStrings__embedding", "IdentityUrl",
        "OllamaEnabled", "PageSize", "Retries",
    }  # fmt: skip
    assert (env["PageSize"].default, env["Aws__Region"].default) == ("20", "us-east-1")
    assert [str(e) for e in env["ConnectionStrings__catalogdb"].evidence] == ["Extensions.cs:14: configuration key ConnectionStrings:catalogdb"]


def test_aspire_client_names_need_an_aspire_package(make_tree: MakeTree) -> None:
    code = 'var builder = WebApplication.CreateBuilder(args);\nbuilder.AddRedisClient("redis");\nbuilder.Build().Run();\n'
    assert only_app(inspect_tree(make_tree({"Api.csproj": csproj(), "Program.cs": code}))).env == ()


def test_aspire_client_packages_are_backing_services(make_tree: MakeTree) -> None:
    # dotnet/eShop's Basket.API references only Aspire's client packages, not StackExchange.Redis itself.
    items = '<PackageReference Include="Aspire.StackExchange.Redis" Version="9.0.0" />\n    <PackageReference Include="Aspire.Npgsql" Version="9.0.0" />'
    code = 'var builder = WebApplication.CreateBuilder(args);\nbuilder.AddRedisClient("redis");\nbuilder.AddNpgsqlDataSource("basketdb");\nbuilder.Build().Run();\n'
    app = only_app(inspect_tree(make_tree({"Api.csproj": csproj(items=items), "Program.cs": code})))
    assert sorted(s.kind for s in app.backing_services) == ["postgres", "redis"]
