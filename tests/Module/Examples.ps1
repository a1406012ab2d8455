# Finds the documented examples and gives each the state it expects; Examples.Tests.ps1 runs them.

$script:DefaultFixtures = @('my-app')
$script:Annotation = '<!--\s*example:\s*(?<spec>.*?)\s*-->'

# '<!-- example: fixtures=my-app,pr-42; checks=keeps-unexpiring -->' or '<!-- example: workspace -->'
function ConvertFrom-ExampleAnnotation([string] $Spec) {
    $result = @{ Fixtures = $DefaultFixtures; Checks = @(); Workspace = $false }
    foreach ($part in ($Spec -split ';') | ForEach-Object Trim | Where-Object { $_ }) {
        $key, $value = $part -split '=', 2
        switch ($key.Trim()) {
            'workspace' { $result.Workspace = $true }
            'fixtures' { $result.Fixtures = @($value -split ',' | ForEach-Object Trim | Where-Object { $_ }) }
            'checks' { $result.Checks = @($value -split ',' | ForEach-Object Trim | Where-Object { $_ }) }
            default { throw "Unknown example annotation '$part'." }
        }
    }
    $result
}

# Variables an example may use without setting them, and the fixture that sets each.
$script:FixtureVariables = @{ beforeDrop = 'customers-dropped'; appId = 'service-principal' }

function New-Example([string] $Source, [string] $Title, [string] $Code, [string] $Spec) {
    $example = ConvertFrom-ExampleAnnotation $Spec
    foreach ($variable in $FixtureVariables.Keys) {
        $used = $Code -match "\`$$variable\b" -and $Code -notmatch "\`$$variable\s*="
        if ($used -and $example.Fixtures -notcontains $FixtureVariables[$variable]) { $example.Fixtures += $FixtureVariables[$variable] }
    }
    $example.Source = $Source
    $example.Title = $Title
    $example.Code = $Code
    $example
}

# Fenced powershell blocks in Markdown, each with the annotation on the line before its fence.
function Get-MarkdownExample([string] $Path, [string] $Source) {
    $lines = @(Get-Content $Path)
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($lines[$i] -notmatch '^```(powershell|pwsh|ps1)\s*$') { continue }
        $start = $i
        $body = [System.Collections.Generic.List[string]]::new()
        for ($i++; $i -lt $lines.Count -and $lines[$i] -notmatch '^```\s*$'; $i++) { $body.Add($lines[$i]) }
        $spec = if ($start -gt 0 -and $lines[$start - 1] -match $Annotation) { $Matches.spec } else { '' }
        New-Example $Source "line $($start + 1)" ($body -join "`n") $spec
    }
}

# about_ topics indent code eight spaces and prose four; a code block is a run of lines indented eight or more.
function Get-AboutExample([string] $Path, [string] $Source) {
    $lines = @(Get-Content $Path)
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($lines[$i] -notmatch '^ {8}\S') { continue }
        $start = $i
        $body = [System.Collections.Generic.List[string]]::new()
        for (; $i -lt $lines.Count -and ($lines[$i] -match '^ {8}' -or ($lines[$i] -eq '' -and $i + 1 -lt $lines.Count -and $lines[$i + 1] -match '^ {8}\S')); $i++) {
            $body.Add(($lines[$i] -replace '^ {8}', ''))
        }
        New-Example $Source "line $($start + 1)" ($body -join "`n") ''
    }
}

# Cmdlet help: each example's code, annotated by an XML comment inside its <command:example>.
function Get-HelpExample([string] $Path) {
    $xml = [xml]::new()
    $xml.PreserveWhitespace = $true
    $xml.Load($Path)
    $ns = [System.Xml.XmlNamespaceManager]::new($xml.NameTable)
    $ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
    $ns.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
    $ns.AddNamespace('dev', 'http://schemas.microsoft.com/maml/dev/2004/10')
    foreach ($command in $xml.SelectNodes('//command:command', $ns)) {
        $name = $command.SelectSingleNode('command:details/command:name', $ns).InnerText.Trim()
        $number = 0
        foreach ($example in $command.SelectNodes('command:examples/command:example', $ns)) {
            $number++
            $comment = $example.SelectSingleNode('comment()')
            $spec = if ($comment -and $comment.OuterXml -match $Annotation) { $Matches.spec } else { '' }
            New-Example "help $name" "example $number" $example.SelectSingleNode('dev:code', $ns).InnerText $spec
        }
    }
}

function Get-LakebaseExample([string] $Root) {
    Get-MarkdownExample (Join-Path $Root 'README.md') 'README.md'
    $docs = Join-Path $Root 'docs'
    if (Test-Path $docs) {
        Get-ChildItem $docs -Recurse -Filter '*.md' | Sort-Object FullName | ForEach-Object {
            Get-MarkdownExample $_.FullName ([IO.Path]::GetRelativePath($Root, $_.FullName) -replace '\\', '/')
        }
    }
    Get-ChildItem (Join-Path $Root 'en-US') -Filter 'about_*.help.txt' | ForEach-Object { Get-AboutExample $_.FullName $_.BaseName.Replace('.help', '') }
    Get-HelpExample (Join-Path $Root 'en-US/Lakebase.PowerShell.dll-Help.xml')
}

# Connected to this file's Lakebase Local (an example may have stopped or disconnected it), with no projects left.
function Reset-ExampleState([string] $StateRoot) {
    Connect-Lakebase -Local -StateRoot $StateRoot | Out-Null
    # Delta tables an example registered in Lakebase Local's Unity Catalog (registering one twice is refused).
    $server = Get-LakebaseLocal -StateRoot $StateRoot
    $headers = @{ Authorization = "Bearer $((Get-Content $server.AdminTokenFile -Raw).Trim())" }
    $tables = "$($server.ApiUrl)/api/2.0/lakebase-local/unity-catalog/tables"
    foreach ($table in @((Invoke-RestMethod -Uri $tables -Headers $headers).tables | Where-Object registered)) {
        Invoke-RestMethod -Method Delete -Uri "$tables/$($table.name)" -Headers $headers | Out-Null
    }
    foreach ($project in @(Get-LakebaseProject -IncludeDeleted)) {
        foreach ($branch in @(Get-LakebaseBranch -ProjectId $project.ProjectId -ErrorAction Ignore | Where-Object IsProtected)) {
            Set-LakebaseBranch -ProjectId $project.ProjectId $branch.BranchId -Protected $false | Out-Null
        }
        # An example may leave an operation running (-NoWait); the service answers ABORTED until it is done.
        for ($attempt = 1; ; $attempt++) {
            try { Remove-LakebaseProject -ProjectId $project.ProjectId -Purge -Confirm:$false -ErrorAction Stop; break }
            catch { if ($_.FullyQualifiedErrorId -notlike 'ABORTED*' -or $attempt -ge 120) { throw }; Start-Sleep -Milliseconds 500 }
        }
    }
}

function Invoke-ExampleSql([string] $ProjectId, [string] $BranchId, [string] $Sql) {
    Invoke-LakebaseQuery -ProjectId $ProjectId -BranchId $BranchId $Sql -As NonQuery | Out-Null
}

# What each fixture makes, in the order given; returns the variables it hands to the example.
function Initialize-ExampleFixture([string[]] $Name, [string] $WorkingDirectory) {
    $variables = @{}
    foreach ($fixture in $Name) {
        switch ($fixture) {
            'empty' { }
            'my-app' {
                # production holds orders; dev, a branch that never expires, is its copy.
                New-LakebaseProject my-app | Out-Null
                Invoke-ExampleSql my-app production @'
CREATE TABLE orders (id int PRIMARY KEY, total numeric(10,2) NOT NULL, paid bool NOT NULL);
INSERT INTO orders SELECT g, g * 10, g % 2 = 0 FROM generate_series(1, 10) g;
'@
                New-LakebaseBranch -ProjectId my-app dev -NoExpiry | Out-Null
                $migrations = New-Item -ItemType Directory -Force (Join-Path $WorkingDirectory 'migrations')
                Set-Content (Join-Path $migrations '042.sql') "ALTER TABLE orders ADD COLUMN note text;`nUPDATE orders SET note = 'checked' WHERE paid;"
            }
            { $_ -in 'pr-42', 'feature' } { New-LakebaseBranch -ProjectId my-app $fixture -Ttl 7d | Out-Null }
            'main' { New-LakebaseBranch -ProjectId my-app main -NoExpiry | Out-Null }   # a default branch never expires
            'short-lived' { New-LakebaseBranch -ProjectId my-app short-lived -Ttl 1h | Out-Null }
            'roles' {
                New-LakebaseRole -ProjectId my-app -BranchId production app-writer | Out-Null
                New-LakebaseRole -ProjectId my-app -BranchId production reporting | Out-Null
                New-LakebaseRole -ProjectId my-app -BranchId dev app-user | Out-Null
            }
            'reporting-endpoint' { New-LakebaseEndpoint -ProjectId my-app -BranchId production reporting | Out-Null }
            'customers-dropped' {
                # $beforeDrop: a moment when production still had customers, as a user would read it from a log.
                Invoke-ExampleSql my-app production "CREATE TABLE customers (id int PRIMARY KEY, name text); INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace');"
                Start-Sleep -Milliseconds 1100
                $variables.beforeDrop = [DateTimeOffset]::UtcNow
                Start-Sleep -Milliseconds 1100
                Invoke-ExampleSql my-app production 'DROP TABLE customers'
            }
            'shop-empty' {
                New-LakebaseProject shop | Out-Null
                New-LakebaseBranch -ProjectId shop pr-1042 -Ttl 7d | Out-Null
            }
            'shop' {
                # shop: analytics on production, owned by reporting; dev and pr-1042 are copies.
                New-LakebaseProject shop | Out-Null
                New-LakebaseRole -ProjectId shop -BranchId production reporting | Out-Null
                New-LakebaseRole -ProjectId shop -BranchId production app-writer | Out-Null
                New-LakebaseDatabase -ProjectId shop -BranchId production analytics -OwnerRole reporting | Out-Null
                New-LakebaseBranch -ProjectId shop dev -NoExpiry | Out-Null
                New-LakebaseBranch -ProjectId shop pr-1042 -Ttl 7d | Out-Null
            }
            'scratch' { New-LakebaseProject scratch | Out-Null }
            'granted' {
                Grant-LakebasePermission my-app -ServicePrincipalName 9f1c2b3a-0000-4000-8000-000000000001 -Level CanUse | Out-Null
                Grant-LakebasePermission my-app -UserName someone@example.com -Level CanUse | Out-Null
            }
            'delta-users' {
                # ./lake/users: a Delta table written by delta-rs, with an id column.
                $lake = New-Item -ItemType Directory -Force (Join-Path $WorkingDirectory 'lake')
                Copy-Item (Join-Path $PSScriptRoot '../Fixtures/delta-tables/simple_table') (Join-Path $lake 'users') -Recurse
            }
            'service-principal' {
                # $appId: the application id of a service principal made with Lakebase Local's own API.
                $server = Get-LakebaseLocal
                $token = (Get-Content $server.AdminTokenFile -Raw).Trim()
                $variables.appId = (Invoke-RestMethod -Method Post -Uri "$($server.ApiUrl)/api/2.0/lakebase-local/service-principals" `
                        -Headers @{ Authorization = "Bearer $token" } -ContentType 'application/json' -Body '{"display_name":"example"}').application_id
            }
            'local-root' {
                # $root: the state root of a second Lakebase Local, started as a test would start one.
                $variables.root = Join-Path $WorkingDirectory 'second-local'
                Start-LakebaseLocal -StateRoot $variables.root -Port 0 | Out-Null
            }
            default { throw "Unknown example fixture '$fixture'." }
        }
    }
    $variables
}

# Runs an example as a careful user would: every error stops it, and prompts are answered yes. Its output is
# rendered as the console would show it. Returns the $root it may have set, for a Lakebase Local it started.
function Invoke-Example([string] $Code, [hashtable] $Variables) {
    $ErrorActionPreference = 'Stop'
    $PSNativeCommandUseErrorActionPreference = $true
    $ConfirmPreference = 'None'
    foreach ($name in $Variables.Keys) { Set-Variable -Name $name -Value $Variables[$name] }
    $null = . ([scriptblock]::Create($Code)) | Out-String -Width 80
    Get-Variable -Name root -Scope Local -ValueOnly -ErrorAction Ignore
}

function Assert-ExampleOutcome([string] $Name) {
    switch ($Name) {
        # A cleanup example must leave branches that never expire alone.
        'keeps-unexpiring' {
            $left = @(Get-LakebaseBranch -ProjectId my-app).BranchId
            $left | Should -Contain 'production'
            $left | Should -Contain 'dev'
            $left | Should -Not -Contain 'short-lived'
        }
        default { throw "Unknown example check '$Name'." }
    }
}

# Problems a reader would hit before running anything: parse errors, unknown Lakebase cmdlets or parameters.
function Test-ExampleBinding([string] $Code) {
    $tokens = $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref] $tokens, [ref] $errors)
    foreach ($problem in $errors) { "does not parse: $($problem.Message)" }
    foreach ($call in $ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true)) {
        $called = $call.GetCommandName()
        if ($called -notlike '*-Lakebase*') { continue }
        $target = Get-Command $called -Module Lakebase -ErrorAction SilentlyContinue
        if (-not $target) { "calls $called, which the module does not have"; continue }
        $names = @($target.Parameters.Values | ForEach-Object { $_.Name; $_.Aliases })
        foreach ($used in $call.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] }) {
            if ($names -notcontains $used.ParameterName) { "passes -$($used.ParameterName) to $called, which has no such parameter" }
        }
    }
}
