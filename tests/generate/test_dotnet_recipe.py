"""The .NET recipe: SDK build, ASP.NET runtime with its own non-root user, workers, solutions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import assert_hadolint_clean

from migrate.generate import generate
from migrate.generate.plan import ContainerPlan
from migrate.generate.recipes import plan_for
from migrate.inspect import inspect_tree

MakeTree = Callable[[dict[str, str | bytes]], Path]

MINIMAL = 'var app = WebApplication.CreateBuilder(args).Build();\napp.MapGet("/healthz", () => "ok");\napp.Run();\n'


def csproj(sdk: str = "Microsoft.NET.Sdk.Web", tfm: str = "net8.0", items: str = "") -> str:
    return f'<Project Sdk="{sdk}">\n  <PropertyGroup><TargetFramework>{tfm}</TargetFramework></PropertyGroup>\n  <ItemGroup>{items}</ItemGroup>\n</Project>\n'


def plan_of(root: Path, path: str | None = None) -> ContainerPlan:
    apps = [a for a in inspect_tree(root).apps if path is None or a.path == path]
    assert len(apps) == 1
    return plan_for(apps[0])


def dockerfile(root: Path, path: str = "Dockerfile") -> str:
    return next(f.content for f in generate(inspect_tree(root)) if f.path == path)




def test_aspnetcore_minimal_api(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree(
        {
            "Api.csproj": csproj(items='<PackageReference Include="Npgsql" Version="8.0.5" />'),
            "Program.cs": MINIMAL,
            "global.json": '{"sdk": {"version": "8.0.400"}}',
            "NuGet.config": "<configuration />\n",
            "Properties/launchSettings.json": '{"profiles": {"http": {"applicationUrl": "http://localhost:5180"}}}',
        }
    )
    plan = plan_of(root)
    assert plan.images == {"build": "mcr.microsoft.com/dotnet/sdk:8.0", "runtime": "mcr.microsoft.com/dotnet/aspnet:8.0"}
    assert plan.values["manifest_copies"] == [["Api.csproj", "NuGet.config", "global.json", "./"]]
    assert plan.values["restore"] == "dotnet restore"
    assert plan.values["publish"] == "dotnet publish -c Release -o /app/publish --no-restore"
    assert plan.values["runtime_env"] == {"ASPNETCORE_HTTP_PORTS": "8080"}
    assert plan.cmd == ("dotnet", "Api.dll")
    assert plan.healthcheck == ("dotnet", "/usr/local/lib/probe/probe.dll", "8080", "/healthz", "400")
    # launchSettings.json's localhost URL must not win inside a container.
    assert plan.dev_cmd == ("dotnet", "watch", "run", "--no-launch-profile")
    assert plan.uid == 1654
    assert plan.post_create == "dotnet restore"
    assert plan.extensions == ("ms-dotnettools.csdevkit",)
    text = dockerfile(root)
    assert text.index('COPY ["Api.csproj", "NuGet.config", "global.json", "./"]') < text.index("RUN dotnet restore") < text.index("COPY . /src")
    # The probe is built by the SDK stage already pulled and run by the runtime's dotnet: no Go toolchain.
    assert "golang" not in text
    assert "FROM sdk AS probe" in text and "<TargetFramework>net8.0</TargetFramework>" in text
    assert "dotnet publish probe.csproj -c Release -o /probe" in text
    assert 'COPY --from=probe ["/probe/", "/usr/local/lib/probe/"]' in text
    assert "USER 1654:1654" in text and "groupadd" not in text  # the image's own app user
    assert 'CMD ["dotnet", "Api.dll"]' in text
    assert_hadolint_clean(text, tmp_path)


def test_port_from_code_and_older_runtime(make_tree: MakeTree, tmp_path: Path) -> None:
    program = 'var app = WebApplication.CreateBuilder(args).Build();\napp.Run("http://0.0.0.0:5000");\n'
    root = make_tree({"Api.csproj": csproj(tfm="net6.0"), "Program.cs": program})
    plan = plan_of(root)
    assert plan.images["runtime"] == "mcr.microsoft.com/dotnet/aspnet:6.0"
    assert plan.values["runtime_env"] == {"ASPNETCORE_URLS": "http://+:5000"}
    # No health route: any answer below 500.
    assert plan.healthcheck == ("dotnet", "/usr/local/lib/probe/probe.dll", "5000", "/", "500")
    assert plan.uid == 10001  # images before .NET 8 have no app user: one is created
    text = dockerfile(root)
    assert "useradd --system --uid 10001" in text and "USER 10001:10001" in text
    assert "<TargetFramework>net6.0</TargetFramework>" in text  # the probe targets the runtime shipped
    assert_hadolint_clean(text, tmp_path)


def test_worker_service_has_no_probe(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"Worker.csproj": csproj("Microsoft.NET.Sdk.Worker"), "Program.cs": "Host.CreateDefaultBuilder(args).Build().Run();\n"})
    plan = plan_of(root)
    assert plan.images["runtime"] == "mcr.microsoft.com/dotnet/runtime:8.0"
    assert plan.healthcheck is None and plan.port is None
    text = dockerfile(root)
    assert "AS probe" not in text and "HEALTHCHECK" not in text
    assert_hadolint_clean(text, tmp_path)


def test_solution_member_copies_referenced_projects_from_the_root(make_tree: MakeTree, tmp_path: Path) -> None:
    sln = (
        'Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "Api", "src\\Api\\Api.csproj", "{1}"\nEndProject\n'
        'Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "Data", "src\\Data\\Data.csproj", "{2}"\nEndProject\n'
        'Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "Tests", "tests\\Tests\\Tests.csproj", "{3}"\nEndProject\n'
    )
    root = make_tree(
        {
            "Shop.sln": sln,
            "Directory.Packages.props": "<Project />\n",
            "global.json": '{"sdk": {"version": "8.0.404"}}',
            "src/Api/Api.csproj": csproj(items='<ProjectReference Include="..\\Data\\Data.csproj" />'),
            "src/Api/Program.cs": MINIMAL,
            "src/Api/packages.lock.json": "{}",
            "src/Data/Data.csproj": csproj("Microsoft.NET.Sdk"),
            "tests/Tests/Tests.csproj": csproj("Microsoft.NET.Sdk", items='<PackageReference Include="xunit" Version="2.9.0" />'),
        }
    )
    plan = plan_of(root, "src/Api")
    # Only what restoring this app reads: not the test project.
    assert plan.values["manifest_copies"] == [
        ["Directory.Packages.props", "global.json", "./"],
        ["src/Api/Api.csproj", "src/Api/packages.lock.json", "src/Api/"],
        ["src/Data/Data.csproj", "src/Data/"],
    ]
    assert plan.values["app_dir"] == "/src/src/Api"
    assert plan.watch[0].target == "/src/src/Api"
    files = {f.path: f.content for f in generate(inspect_tree(root))}
    assert ".dockerignore" in files and "**/obj" in files[".dockerignore"]  # the context is the solution root
    assert "WORKDIR /src/src/Api\nRUN dotnet restore" in files["src/Api/Dockerfile"]
    assert_hadolint_clean(files["src/Api/Dockerfile"], tmp_path)


def test_several_projects_in_one_folder_name_the_project(make_tree: MakeTree) -> None:
    root = make_tree({"Api.csproj": csproj(), "Api.sln": "", "Program.cs": MINIMAL})
    plan = plan_of(root)
    assert plan.values["restore"] == "dotnet restore Api.csproj"
    assert plan.dev_cmd == ("dotnet", "watch", "--project", "Api.csproj", "run", "--no-launch-profile")
