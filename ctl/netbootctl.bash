# bash completion for netbootctl(1)

_netbootctl_query()
{
	# $1: netbootctl command words; prints the first column of its table.
	netbootctl ${_netbootctl_sock:+-s "$_netbootctl_sock"} $1 2>/dev/null |
		awk 'NR > 1 { print $1 }'
}

_netbootctl()
{
	local cur prev words cword
	_init_completion || return

	local commands="status images add-image remove-image machines assign unassign reinstall label config profile group apply export explain default-boot watch logs extract"
	local i cmd="" sub="" _netbootctl_sock=""

	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-s | --socket)
			_netbootctl_sock=${words[i + 1]}
			((i++))
			;;
		--socket=*) _netbootctl_sock=${words[i]#--socket=} ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${words[i]}
			elif [[ -z $sub && ($cmd == config || $cmd == profile || $cmd == group || $cmd == extract) ]]; then
				sub=${words[i]}
			fi
			;;
		esac
	done

	if [[ -z $cmd ]]; then
		case $prev in
		-s | --socket)
			_filedir
			return
			;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-s --socket -j --json -h --help -V --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi

	case $prev in
	--dir)
		_filedir -d
		return
		;;
	--iso | --whole-iso)
		_filedir iso
		return
		;;
	--config)
		COMPREPLY=($(compgen -W "$(_netbootctl_query 'config list')" -- "$cur"))
		return
		;;
	--image)
		COMPREPLY=($(compgen -W "$(_netbootctl_query images)" -- "$cur"))
		return
		;;
	--profile)
		COMPREPLY=($(compgen -W "$(_netbootctl_query 'profile list')" -- "$cur"))
		return
		;;
	--group)
		COMPREPLY=($(compgen -W "$(_netbootctl_query 'group list')" -- "$cur"))
		return
		;;
	--action | --after-install)
		COMPREPLY=($(compgen -W "netboot local ignore" -- "$cur"))
		return
		;;
	--loader)
		COMPREPLY=($(compgen -W "ipxe grub shim-grub" -- "$cur"))
		return
		;;
	--arch)
		COMPREPLY=($(compgen -W "bios efi-ia32 efi-x86_64 efi-arm64 http-x86_64 http-arm64" -- "$cur"))
		return
		;;
	-f | --file)
		_filedir '@(yaml|yml)'
		COMPREPLY+=($(compgen -W "-" -- "$cur"))
		return
		;;
	--cmdline | --append-cmdline | --platform | --priority | --mac | --uuid | --interface | --label | --remove) return ;;
	--auth-file)
		_filedir
		return
		;;
	--compression)
		COMPREPLY=($(compgen -W "gzip zstd xz" -- "$cur"))
		return
		;;
	esac

	case $cmd in
	add-image)
		COMPREPLY=($(compgen -W "--dir --iso --efi --whole-iso --platform --kernel --initrd --force --cmdline --origin --boot-from-origin --help" -- "$cur"))
		;;
	remove-image)
		COMPREPLY=($(compgen -W "--force --help $(_netbootctl_query images)" -- "$cur"))
		;;
	assign)
		COMPREPLY=($(compgen -W "--config --cmdline --append-cmdline --help $(_netbootctl_query images) $(_netbootctl_query machines)" -- "$cur"))
		;;
	unassign | watch)
		COMPREPLY=($(compgen -W "--help $(_netbootctl_query machines)" -- "$cur"))
		;;
	reinstall)
		COMPREPLY=($(compgen -W "--group --help $(_netbootctl_query machines)" -- "$cur"))
		;;
	label)
		COMPREPLY=($(compgen -W "--remove --help $(_netbootctl_query machines)" -- "$cur"))
		;;
	logs)
		COMPREPLY=($(compgen -W "-f --follow --since --json --help $(_netbootctl_query machines)" -- "$cur"))
		;;
	explain)
		COMPREPLY=($(compgen -W "--arch --uuid --interface --help $(_netbootctl_query machines)" -- "$cur"))
		;;
	apply)
		COMPREPLY=($(compgen -W "-f --dry-run --prune --help" -- "$cur"))
		;;
	profile | group)
		if [[ -z $sub ]]; then
			COMPREPLY=($(compgen -W "set get list remove" -- "$cur"))
		elif [[ $sub == set && $cmd == profile && $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--image --config --cmdline --append-cmdline --loader --action --netconsole --after-install --no-report --help" -- "$cur"))
		elif [[ $sub == set && $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--profile --priority --mac --uuid --arch --interface --label --help" -- "$cur"))
		elif [[ $sub != list ]]; then
			COMPREPLY=($(compgen -W "--help $(_netbootctl_query "$cmd list")" -- "$cur"))
		fi
		;;
	default-boot)
		COMPREPLY=($(compgen -W "on off --help" -- "$cur"))
		;;
	config)
		if [[ -z $sub ]]; then
			COMPREPLY=($(compgen -W "set get list default" -- "$cur"))
		elif [[ $sub == set && $prev != set ]]; then
			_filedir
			COMPREPLY+=($(compgen -W "-" -- "$cur"))
		elif [[ $sub == default ]]; then
			COMPREPLY=($(compgen -W "--none --help $(_netbootctl_query 'config list')" -- "$cur"))
		elif [[ $sub != list ]]; then
			COMPREPLY=($(compgen -W "--help $(_netbootctl_query 'config list')" -- "$cur"))
		fi
		;;
	extract)
		if [[ -z $sub ]]; then
			COMPREPLY=($(compgen -W "iso oci" -- "$cur"))
		elif [[ $prev == --kernel || $prev == --initrd || $prev == --rootfs ]]; then
			: # a path inside the ISO or image
		elif [[ $sub == oci && $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--platform --insecure --auth-file --compression --kernel --initrd --max-size --force --help" -- "$cur"))
		elif [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--kernel --initrd --rootfs --max-size --force --help" -- "$cur"))
		else
			_filedir
		fi
		;;
	*)
		COMPREPLY=($(compgen -W "--help" -- "$cur"))
		;;
	esac
}
complete -F _netbootctl netbootctl
