# Runs the examples users copy first: every PowerShell block in README.md, docs/, about_Lakebase and the cmdlet help.
# Each runs against Lakebase Local, from a clean state plus the fixtures it names, with errors as terminating errors,
# so an example that fails, or that would act on something it should not touch, fails here. An example that needs a
# workspace is parsed and its Lakebase parameters checked, as Help.Tests.ps1 does for help.
#
# A block names what it needs next to it, hidden from readers:
#   README and docs: an HTML comment on the line before the fence   <!-- example: fixtures=my-app,pr-42 -->
#   cmdlet help:     an XML comment inside <command:example>         <!-- example: fixtures=shop -->
#   about_Lakebase:  plain text can hide nothing, so its blocks take the default fixtures
# `workspace` instead of `fixtures=` marks a block that needs a Databricks workspace. A block with no comment runs
# with the default fixtures, so a new example is always run.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Examples.ps1')
    $examples = Get-LakebaseExample -Root (Resolve-Path (Join-Path $PSScriptRoot '../..'))
}

BeforeAll {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    . (Join-Path $PSScriptRoot 'Examples.ps1')
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("lbx-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    # Examples that say Connect-Lakebase -Local or Stop-LakebaseLocal with no -StateRoot use this server.
    $script:savedRoot = $env:LAKEBASE_LOCAL_ROOT
    $env:LAKEBASE_LOCAL_ROOT = $root
    Connect-Lakebase -Local -Port 0 | Out-Null
}

AfterAll {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false -ErrorAction SilentlyContinue
    $env:LAKEBASE_LOCAL_ROOT = $savedRoot
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe '<Source>: <Title>' -ForEach $examples {
    It 'runs against Lakebase Local' -Skip:$Workspace {
        $work = New-Item -ItemType Directory (Join-Path $root ("work-" + [guid]::NewGuid().ToString('N').Substring(0, 8)))
        Push-Location $work
        try {
            Reset-ExampleState -StateRoot $root
            $variables = Initialize-ExampleFixture -Name $Fixtures -WorkingDirectory $work
            $leftover = Invoke-Example -Code $Code -Variables $variables
            # An example may start a Lakebase Local of its own; stop it, as its reader would.
            if ($leftover -and $leftover -ne $root) { Stop-LakebaseLocal -StateRoot $leftover -Confirm:$false -ErrorAction SilentlyContinue }
            foreach ($check in $Checks) { Assert-ExampleOutcome -Name $check }
        }
        finally { Pop-Location }
    }

    It 'parses and uses only Lakebase cmdlets and parameters that exist' {
        Test-ExampleBinding -Code $Code | Should -BeNullOrEmpty
    }
}
