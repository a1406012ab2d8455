# Another module's Npgsql and ours in one session: each script runs in a fresh pwsh (a session that has never seen
# either), loads Npgsql 8 from its own folder before or after Import-Module Lakebase, and queries Lakebase Local with both.
BeforeAll {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("lbi-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    Connect-Lakebase -Local -StateRoot $root -Port 0 | Out-Null
    New-LakebaseProject 'iso-app' | Out-Null

    # Npgsql 8 with its one dependency, restored from the package feed into a folder of its own, as another module ships it.
    $script:other = Join-Path $root 'other-module'
    New-Item -ItemType Directory $other | Out-Null
    Set-Content (Join-Path $other 'restore.csproj') @'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageReference Include="Npgsql" Version="8.0.9" /></ItemGroup>
</Project>
'@
    & dotnet restore (Join-Path $other 'restore.csproj') --packages (Join-Path $other 'packages') -v q | Out-Null
    $LASTEXITCODE | Should -Be 0
    Get-ChildItem (Join-Path $other 'packages') -Recurse -Filter *.dll |
        Where-Object { $_.Directory.Name -eq 'net8.0' -and $_.Directory.Parent.Name -eq 'lib' -and $_.Name -in 'Npgsql.dll', 'Microsoft.Extensions.Logging.Abstractions.dll' } |
        Copy-Item -Destination $other
    $script:npgsql8 = Join-Path $other 'Npgsql.dll'

    # Runs $Script in a new pwsh and returns what it outputs, as objects (it ends with ConvertTo-Json).
    function Invoke-FreshSession([string] $Script) {
        $prelude = @"
`$ErrorActionPreference = 'Stop'
`$module = '$env:LAKEBASE_MODULE_PATH'
`$root = '$root'
`$npgsql8 = '$npgsql8'
function Use-Npgsql8 {
    `$v8 = [Reflection.Assembly]::LoadFrom(`$npgsql8)
    `$credential = Get-LakebaseCredential -ProjectId iso-app -BranchId production
    `$password = `$credential.Token | ConvertFrom-SecureString -AsPlainText
    `$connection = [Activator]::CreateInstance(`$v8.GetType('Npgsql.NpgsqlConnection'), @(
        "Host=`$(`$credential.Host);Port=`$(`$credential.Port);Database=`$(`$credential.Database);Username=`$(`$credential.UserName);Password=`$password;SSL Mode=VerifyFull;Root Certificate=`$(Join-Path `$root 'tls/ca.pem')"))
    try {
        `$connection.Open()
        `$command = `$connection.CreateCommand()
        `$command.CommandText = 'SELECT 8'
        `$command.ExecuteScalar()
    }
    finally { `$connection.Dispose() }
}
function Get-Npgsql { @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'Npgsql' } | ForEach-Object { `$_.GetName().Version.Major } | Sort-Object) }
# Whether anything answers a request for one of the module's dependencies made by code that is not the module.
function Test-Answered { try { [Reflection.Assembly]::Load('Polly.Core') | Out-Null; `$true } catch { `$false } }
"@
        $pwsh = [Environment]::ProcessPath
        $arguments = @(if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' }) +
            @('-NoProfile', '-NonInteractive', '-Command', $prelude + "`n" + $Script)
        $output = & $pwsh @arguments 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        ($output -join "`n") | ConvertFrom-Json
    }
}

AfterAll {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Another Npgsql in the same session' {
    It 'works when the other Npgsql was loaded before Import-Module Lakebase' {
        $result = Invoke-FreshSession @'
[Reflection.Assembly]::LoadFrom($npgsql8) | Out-Null
Import-Module $module
Connect-Lakebase -Local -StateRoot $root | Out-Null
[pscustomobject]@{
    Theirs = Use-Npgsql8
    Ours = Invoke-LakebaseQuery -ProjectId iso-app -BranchId production 'SELECT 9' -As Scalar
    Versions = Get-Npgsql
} | ConvertTo-Json -Compress
'@
        $result.Theirs | Should -Be 8
        $result.Ours | Should -Be 9
        $result.Versions | Should -Be 8, 9
    }

    It 'works when the other Npgsql is loaded after, and the module answers only its own requests while imported' {
        $result = Invoke-FreshSession @'
Import-Module $module
Connect-Lakebase -Local -StateRoot $root | Out-Null
$before = Invoke-LakebaseQuery -ProjectId iso-app -BranchId production 'SELECT 9' -As Scalar
$theirs = Use-Npgsql8
[pscustomobject]@{
    Theirs = $theirs
    Ours = $before + (Invoke-LakebaseQuery -ProjectId iso-app -BranchId production 'SELECT 9' -As Scalar)
    Versions = Get-Npgsql
    AnsweredForOthers = Test-Answered
} | ConvertTo-Json -Compress
'@
        $result.Theirs | Should -Be 8
        $result.Ours | Should -Be 18
        $result.Versions | Should -Be 8, 9
        $result.AnsweredForOthers | Should -BeFalse
    }

    It 'leaves no resolver behind after Remove-Module, and comes back with Import-Module' {
        $result = Invoke-FreshSession @'
function Get-Resolvers {
    $handlers = [System.Runtime.Loader.AssemblyLoadContext].GetField('AssemblyResolve', [Reflection.BindingFlags]'NonPublic,Static').GetValue($null)
    @(if ($handlers) { $handlers.GetInvocationList() | Where-Object { $_.Method.DeclaringType.Assembly.GetName().Name -eq 'Lakebase.PowerShell' } }).Count
}
Import-Module $module
$imported = Get-Resolvers
Remove-Module Lakebase
$removed = Get-Resolvers
Import-Module $module
Connect-Lakebase -Local -StateRoot $root | Out-Null
[pscustomobject]@{
    Imported = $imported
    Removed = $removed
    Reimported = Get-Resolvers
    Works = Invoke-LakebaseQuery -ProjectId iso-app -BranchId production 'SELECT 1' -As Scalar
} | ConvertTo-Json -Compress
'@
        $result.Imported | Should -Be 1
        $result.Removed | Should -Be 0
        $result.Reimported | Should -Be 1
        $result.Works | Should -Be 1
    }
}
