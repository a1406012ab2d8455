# Keeps the cmdlet help (en-US/Lakebase.PowerShell.dll-Help.xml) true to the cmdlets: every exported cmdlet has real
# help, and every parameter is documented as the cmdlet declares it. Examples.Tests.ps1 runs the examples.
# Needs no server.
BeforeDiscovery {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    $cmdlets = Get-Command -Module Lakebase -CommandType Cmdlet | Sort-Object Name | ForEach-Object { @{ Name = $_.Name } }
}

BeforeAll {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    $script:common = [System.Management.Automation.Cmdlet]::CommonParameters

    function Get-Text($value) { (@($value) | ForEach-Object { if ($_ -is [string]) { $_ } else { $_.Text } }) -join "`n" }

    # 'True (ByValue, ByPropertyName)' -> @('ByPropertyName', 'ByValue'); 'False' -> @()
    function Get-PipelineKinds([string] $text) {
        if ($text -notmatch '^True \((.+)\)') { return @() }
        @($Matches[1] -split ',\s*' | Sort-Object)
    }

    function Get-MetadataKinds($parameters) {
        @(if (@($parameters | Where-Object ValueFromPipelineByPropertyName)) { 'ByPropertyName' }
            if (@($parameters | Where-Object ValueFromPipeline)) { 'ByValue' })
    }

    function Get-Position($parameter) { if ($parameter.Position -ge 0) { "$($parameter.Position)" } else { 'named' } }

    function Get-TypeName([type] $type) {
        if ($type.IsGenericType -and $type.GetGenericTypeDefinition() -eq [Nullable`1]) { $type = $type.GetGenericArguments()[0] }
        $type.FullName
    }
}

Describe 'Help for <Name>' -ForEach $cmdlets {
    BeforeAll {
        $command = Get-Command $Name
        $help = Get-Help $Name -Full
        $declared = @($command.Parameters.Values | Where-Object Name -NotIn $common)
        $documented = @($help.parameters.parameter | Where-Object { $_ })
    }

    It 'has a synopsis and a description from the help file' {
        (Get-Text $help.Synopsis).Trim() | Should -Not -BeNullOrEmpty
        # Help made up from metadata alone has the syntax as its synopsis and no description.
        $help.Synopsis | Should -Not -BeLike "$Name *[<CommonParameters>]*"
        (Get-Text $help.description).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least one example, each with code' {
        $examples = @($help.examples.example | Where-Object { $_ })
        $examples.Count | Should -BeGreaterOrEqual 1
        foreach ($example in $examples) { $example.code.Trim() | Should -Not -BeNullOrEmpty -Because $example.title }
    }

    It 'documents every parameter the cmdlet has, with a description' {
        foreach ($parameter in $declared) {
            $entry = $documented | Where-Object name -EQ $parameter.Name
            $entry | Should -Not -BeNullOrEmpty -Because "-$($parameter.Name) is a parameter of $Name"
            (Get-Text $entry.description).Trim() | Should -Not -BeNullOrEmpty -Because "-$($parameter.Name) needs a description"
        }
    }

    It 'documents no parameter the cmdlet does not have' {
        foreach ($entry in $documented) {
            $declared.Name | Should -Contain $entry.name -Because "the help of $Name documents -$($entry.name)"
        }
    }

    It 'documents each parameter''s type, required, position, pipeline input and aliases as declared' {
        foreach ($entry in $documented) {
            $parameter = $command.Parameters[$entry.name]
            if (-not $parameter) { continue }
            $inSets = @($command.ParameterSets | ForEach-Object { $_.Parameters | Where-Object Name -EQ $entry.name })
            $because = "of -$($entry.name)"

            $entry.type.name | Should -Be (Get-TypeName $parameter.ParameterType) -Because "the type $because"
            # Where sets disagree (mandatory in one, optional in another) either is true; the syntax below is exact.
            $mandatory = @($inSets | ForEach-Object { $_.IsMandatory.ToString().ToLowerInvariant() } | Sort-Object -Unique)
            $mandatory | Should -Contain $entry.required -Because "whether it is required $because"
            $positions = @($inSets | ForEach-Object { Get-Position $_ } | Sort-Object -Unique)
            $positions | Should -Contain $entry.position -Because "the position $because"
            Get-PipelineKinds $entry.pipelineInput | Should -Be (Get-MetadataKinds $inSets) -Because "the pipeline input $because"
            $aliases = if ($entry.aliases -and $entry.aliases -ne 'none') { @($entry.aliases -split ',\s*' | Sort-Object) } else { @() }
            $aliases | Should -Be @($parameter.Aliases | Sort-Object) -Because "the aliases $because"
        }
    }

    It 'has one syntax per parameter set, each matching the set exactly' {
        $items = @($help.syntax.syntaxItem | Where-Object { $_ })
        $items.Count | Should -Be $command.ParameterSets.Count
        $unmatched = [System.Collections.Generic.List[object]]::new($items)
        foreach ($set in $command.ParameterSets) {
            $expected = @($set.Parameters | Where-Object Name -NotIn $common | Sort-Object Name | ForEach-Object {
                    '{0} required={1} position={2} pipeline={3}' -f $_.Name, $_.IsMandatory.ToString().ToLowerInvariant(), (Get-Position $_), ((Get-MetadataKinds $_) -join '+')
                }) -join '; '
            $match = $unmatched | Where-Object {
                $actual = @($_.parameter | Where-Object { $_ } | Sort-Object name | ForEach-Object {
                        '{0} required={1} position={2} pipeline={3}' -f $_.name, $_.required, $_.position, ((Get-PipelineKinds $_.pipelineInput) -join '+')
                    }) -join '; '
                $actual -eq $expected
            } | Select-Object -First 1
            $match | Should -Not -BeNullOrEmpty -Because "parameter set '$($set.Name)' needs a syntax with: $expected"
            $unmatched.Remove($match) | Out-Null
        }
    }

    It 'documents its input and output types, including every declared output type' {
        @($help.inputTypes.inputType | Where-Object { $_ }).Count | Should -BeGreaterOrEqual 1
        $outputs = @($help.returnValues.returnValue | ForEach-Object { $_.type.name })
        $outputs.Count | Should -BeGreaterOrEqual 1
        foreach ($type in $command.OutputType) { $outputs | Should -Contain $type.Name }
    }

    It 'links only to Lakebase cmdlets and about_Lakebase' {
        $links = @($help.relatedLinks.navigationLink | ForEach-Object linkText | Where-Object { $_ })
        $links | Should -Contain 'about_Lakebase'
        $known = @((Get-Command -Module Lakebase).Name) + 'about_Lakebase'
        foreach ($link in $links) { $known | Should -Contain $link }
    }
}
