# Databricks unified auth against Lakebase Local: OAuth M2M with a service principal, and the environment variables.
BeforeAll {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("lba-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $script:admin = Connect-Lakebase -Local -StateRoot $root -Port 0
    $server = Get-LakebaseLocal -StateRoot $root
    $token = (Get-Content $server.AdminTokenFile -Raw).Trim()
    $script:principal = Invoke-RestMethod -Method Post -Uri "$($server.ApiUrl)/api/2.0/lakebase-local/service-principals" `
        -Headers @{ Authorization = "Bearer $token" } -ContentType 'application/json' -Body '{"display_name":"ci pipeline"}'
    $script:apiUrl = $server.ApiUrl
}

AfterAll {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'OAuth M2M' {
    It 'connects as the service principal with a client id and secret' {
        $secret = ConvertTo-SecureString $principal.secret -AsPlainText -Force
        $context = Connect-Lakebase $apiUrl -ClientId $principal.application_id -ClientSecret $secret -NoDefault
        $context.AuthType | Should -Be 'oauth-m2m'
        $context.UserName | Should -Be $principal.application_id
        New-LakebaseProject 'sp-owned' -Context $context | Out-Null
        (Get-LakebaseProject sp-owned -Context $context).Owner | Should -Be $principal.application_id
    }

    It 'refuses a wrong secret with a clear error and no secret in it' {
        $wrong = ConvertTo-SecureString 'not-the-secret' -AsPlainText -Force
        { Connect-Lakebase $apiUrl -ClientId $principal.application_id -ClientSecret $wrong -NoDefault -ErrorAction Stop } | Should -Throw '*invalid_client*'
        $Error[0].ToString() | Should -Not -BeLike '*not-the-secret*'
    }

    It 'reads DATABRICKS_HOST, DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET' {
        $env:DATABRICKS_HOST = $apiUrl
        $env:DATABRICKS_CLIENT_ID = $principal.application_id
        $env:DATABRICKS_CLIENT_SECRET = $principal.secret
        try {
            (Connect-Lakebase -NoDefault).AuthType | Should -Be 'oauth-m2m'
        }
        finally {
            Remove-Item Env:DATABRICKS_HOST, Env:DATABRICKS_CLIENT_ID, Env:DATABRICKS_CLIENT_SECRET
        }
    }
}

Describe 'Project permissions' {
    BeforeAll {
        $secret = ConvertTo-SecureString $principal.secret -AsPlainText -Force
        $script:asPrincipal = Connect-Lakebase $apiUrl -ClientId $principal.application_id -ClientSecret $secret -NoDefault
        $script:project = New-LakebaseProject 'perm-app' -Context $admin
    }

    It 'lists the creator as manager and the workspace admins as inherited managers' {
        $permissions = $project | Get-LakebasePermission -Context $admin
        $creator = $permissions | Where-Object Principal -EQ $admin.UserName
        $creator.PrincipalType | Should -Be 'User'
        $creator.Level | Should -Be 'CAN_MANAGE'
        $creator.Inherited | Should -BeFalse
        ($permissions | Where-Object Principal -EQ 'admins').Inherited | Should -BeTrue
    }

    It 'keeps a project from a principal with no grant, with the service''s PERMISSION_DENIED' {
        { Get-LakebaseProject perm-app -Context $asPrincipal -ErrorAction Stop } | Should -Throw
        $Error[0].FullyQualifiedErrorId | Should -BeLike 'PERMISSION_DENIED*'
        $Error[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        @(Get-LakebaseProject -Context $asPrincipal).ProjectId | Should -Not -Contain 'perm-app'
    }

    It 'grants CanUse: the principal reads the project and gets credentials, but cannot change it' {
        $granted = $project | Grant-LakebasePermission -ServicePrincipalName $principal.application_id -Level CanUse -Context $admin
        $granted.Level | Should -Be 'CAN_USE'
        $granted.PrincipalType | Should -Be 'ServicePrincipal'
        (Get-LakebaseProject perm-app -Context $asPrincipal).ProjectId | Should -Be 'perm-app'
        (Get-LakebaseBranch -ProjectId perm-app production -Context $asPrincipal | Get-LakebaseCredential -Context $asPrincipal).Token | Should -BeOfType [securestring]
        { Set-LakebaseProject perm-app -DisplayName 'not mine' -Context $asPrincipal -ErrorAction Stop } | Should -Throw
        $Error[0].FullyQualifiedErrorId | Should -BeLike 'PERMISSION_DENIED*'
    }

    It 'changes nothing with -WhatIf' {
        Revoke-LakebasePermission perm-app -ServicePrincipalName $principal.application_id -WhatIf -Context $admin
        (Get-LakebasePermission perm-app -Context $admin | Where-Object Principal -EQ $principal.application_id).Level | Should -Be 'CAN_USE'
    }

    It 'revokes the grant and leaves the others' {
        Grant-LakebasePermission perm-app -GroupName data-team -Level CanManage -Context $admin | Out-Null
        Revoke-LakebasePermission perm-app -ServicePrincipalName $principal.application_id -Confirm:$false -Context $admin
        $left = Get-LakebasePermission perm-app -Context $admin
        $left.Principal | Should -Not -Contain $principal.application_id
        ($left | Where-Object Principal -EQ 'data-team').Level | Should -Be 'CAN_MANAGE'
        { Get-LakebaseProject perm-app -Context $asPrincipal -ErrorAction Stop } | Should -Throw
    }

    It 'says so when the principal had nothing to revoke' {
        Revoke-LakebasePermission perm-app -UserName nobody@example.com -Confirm:$false -Context $admin -ErrorAction SilentlyContinue -ErrorVariable failed
        $failed[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failed[0].Exception.Message | Should -BeLike '*nobody@example.com*'
    }
}
